"""Analytics rollups, the pure part: events in, counter increments out.

The ingest hook (``hub.web.rollup_store``) feeds each committed group of new events
through :func:`accumulate` and adds the resulting :class:`RollupDelta` to the rollup
tables, in the same transaction. The analytics page then reads small tables
(per day and hour) instead of scanning the raw event log.

Days and hours are those of the hub's local time (``tz=None``) so that charts follow
the gallery's opening hours; tests and benchmarks pass a fixed ``tz``.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Final, NamedTuple

from hub.client.events import Event, Interaction, Occupancy, Visit
from hub.sync.flows import DEFAULT_MAX_GAP

#: upper bounds (seconds) of the dwell histogram's buckets; the last bucket is open
DWELL_BOUNDS: Final = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
MAX_GAP_S: Final = DEFAULT_MAX_GAP.total_seconds()
DWELL_LABELS: Final = ("<10 s", "10-30 s", "30-60 s", "1-2 min", "2-5 min", "5-10 min", "10+ min")


def dwell_bucket(dwell_s: float) -> int:
    """The index of the dwell histogram bucket that ``dwell_s`` falls in."""
    return bisect.bisect_right(DWELL_BOUNDS, dwell_s)


class VisitStep(NamedTuple):
    """One visit as the flow counter sees it."""

    visitor: str
    zone: str
    start: float  # Unix seconds
    end: float
    day: str


@dataclasses.dataclass(slots=True)
class RollupDelta:
    """Counter increments for the rollup tables, from one group of events."""

    # (day, hour, zone) -> [visits, dwell seconds, occupancy peak]
    zone_hour: dict[tuple[str, int, str], list[float]] = dataclasses.field(default_factory=dict)
    # (day, zone, dwell bucket) -> visits
    dwell: Counter[tuple[str, str, int]] = dataclasses.field(default_factory=Counter)
    # (day, artwork, language, action) -> interactions ("" when the event has none)
    kiosk: Counter[tuple[str, str, str, str]] = dataclasses.field(default_factory=Counter)
    visits: list[VisitStep] = dataclasses.field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.zone_hour or self.dwell or self.kiosk or self.visits)


def _local(moment: datetime, tz: tzinfo | None) -> datetime:
    return moment.astimezone(tz)


def accumulate(
    delta: RollupDelta, event: Event, zone: str | None = None, tz: tzinfo | None = None
) -> None:
    """Add one event to ``delta``. ``zone`` is the stored zone (the kiosk's, for interactions)."""
    if isinstance(event, Visit):
        start = _local(event.start, tz)
        day = start.date().isoformat()
        key = (day, start.hour, event.zone)
        cell = delta.zone_hour.get(key)
        if cell is None:
            delta.zone_hour[key] = [1.0, event.dwell_s, 0.0]
        else:
            cell[0] += 1.0
            cell[1] += event.dwell_s
        delta.dwell[(day, event.zone, dwell_bucket(event.dwell_s))] += 1
        delta.visits.append(
            VisitStep(
                event.visitor, event.zone, event.start.timestamp(), event.end.timestamp(), day
            )
        )
    elif isinstance(event, Occupancy):
        start = _local(event.start, tz)
        key = (start.date().isoformat(), start.hour, event.zone)
        cell = delta.zone_hour.get(key)
        if cell is None:
            delta.zone_hour[key] = [0.0, 0.0, float(event.peak)]
        else:
            cell[2] = max(cell[2], float(event.peak))
    elif isinstance(event, Interaction):
        day = _local(event.ts, tz).date().isoformat()
        delta.kiosk[(day, event.artwork or "", event.language or "", event.action)] += 1


def accumulate_all(
    events: Iterable[tuple[Event, str | None]], tz: tzinfo | None = None
) -> RollupDelta:
    """A delta for many ``(event, stored zone)`` pairs."""
    delta = RollupDelta()
    for event, zone in events:
        accumulate(delta, event, zone, tz)
    return delta


class Last(NamedTuple):
    """The latest visit of a pseudonym on its day (the flow counter's only memory)."""

    zone: str
    start: float
    end: float
    day: str


@dataclasses.dataclass(slots=True)
class FlowResult:
    """What one group of visits adds to the flow counts."""

    flows: Counter[tuple[str, str, str]]  # (day, from zone, to zone) -> moves
    movers: set[tuple[str, str, str, str]]  # (day, from, to, visitor): who made each move
    new_visitors: Counter[str]  # day -> pseudonyms seen for the first time that day
    last: dict[str, Last]  # updated memory, for the visitors of this group


def count_flows(
    last: dict[str, Last], visits: Iterable[VisitStep], max_gap_s: float = MAX_GAP_S
) -> FlowResult:
    """Moves between zones, from each pseudonym's visits in time order within one day.

    The rule is the cloud sync's (``hub.sync.flows``): a step into a different zone is
    a move when it starts at most ``max_gap_s`` after the previous visit ended.
    ``last`` is the memory of earlier groups (only the visitors of this group are
    needed). A visit older than the remembered one (agents send in batches) counts as
    a move from it to the remembered one, leaving the memory as it is. Pseudonyms
    change every day, so nothing links across days.
    """
    steps = sorted(visits, key=lambda v: (v.start, v.end))
    flows: Counter[tuple[str, str, str]] = Counter()
    movers: set[tuple[str, str, str, str]] = set()
    new_visitors: Counter[str] = Counter()
    memory = dict(last)
    for visit in steps:
        prev = memory.get(visit.visitor)
        if prev is None or prev.day != visit.day:
            new_visitors[visit.day] += 1
            memory[visit.visitor] = Last(visit.zone, visit.start, visit.end, visit.day)
            continue
        if (visit.start, visit.end) >= (prev.start, prev.end):
            move = (prev.zone, visit.zone, visit.start - prev.end)
            memory[visit.visitor] = Last(visit.zone, visit.start, visit.end, visit.day)
        else:
            move = (visit.zone, prev.zone, prev.start - visit.end)
        if move[0] != move[1] and move[2] <= max_gap_s:
            flows[(visit.day, move[0], move[1])] += 1
            movers.add((visit.day, move[0], move[1], visit.visitor))
    changed = {v.visitor for v in steps}
    return FlowResult(flows, movers, new_visitors, {k: memory[k] for k in changed})
