"""Analytics rollups, the pure part: events in, counter increments out.

The rollup follower (``hub.web.follower``) reads committed events after its cursor,
feeds them through :func:`accumulate` and adds the resulting :class:`RollupDelta` to
the rollup tables (``hub.web.rollup_store``), moving its cursor in the same
transaction. The analytics page then reads small tables (per day and hour) instead of
scanning the raw event log.

The follower decodes stored bodies into the light records below (:data:`Record`): only
the fields the rollups use, no validation (the hub validated them at ingest), and a
visit whose pseudonym was purged (``"visitor": null``) still decodes.

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

import msgspec

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


class VisitRecord(msgspec.Struct, frozen=True, tag_field="type", tag="visit"):
    """A stored visit as the rollups read it; ``visitor`` is None once purged."""

    zone: str
    start: datetime
    end: datetime
    dwell_s: float
    visitor: str | None = None


class OccupancyRecord(msgspec.Struct, frozen=True, tag_field="type", tag="occupancy"):
    """A stored occupancy as the rollups read it."""

    zone: str
    start: datetime
    peak: int


class InteractionRecord(msgspec.Struct, frozen=True, tag_field="type", tag="interaction"):
    """A stored interaction as the rollups read it."""

    ts: datetime
    action: str
    artwork: str | None = None
    language: str | None = None


Record = VisitRecord | OccupancyRecord | InteractionRecord
#: what :func:`accumulate` takes: a wire event or a stored record
Countable = Event | Record

record_decoder: Final = msgspec.json.Decoder(Record)
records_decoder: Final = msgspec.json.Decoder(list[Record])


# (tz, quarter hour since the epoch) -> (local day, local hour). Every UTC offset and
# every change of offset falls on a quarter hour, so one conversion serves a quarter hour.
_QUARTER_S: Final = 900
_DAY_HOUR: dict[tuple[tzinfo | None, int], tuple[str, int]] = {}


def day_hour(
    moment: datetime, tz: tzinfo | None, timestamp: float | None = None
) -> tuple[str, int]:
    """The local day (``YYYY-MM-DD``) and hour of an aware ``moment`` in ``tz`` (None: local)."""
    key = (tz, int((moment.timestamp() if timestamp is None else timestamp) // _QUARTER_S))
    hit = _DAY_HOUR.get(key)
    if hit is None:
        local = moment.astimezone(tz)
        hit = (local.date().isoformat(), local.hour)
        if len(_DAY_HOUR) >= 4096:
            _DAY_HOUR.clear()
        _DAY_HOUR[key] = hit
    return hit


def accumulate(
    delta: RollupDelta, event: Countable, zone: str | None = None, tz: tzinfo | None = None
) -> None:
    """Add one event to ``delta``. ``zone`` is the stored zone (the kiosk's, for interactions).

    A visit without pseudonym (purged) counts in the zone and dwell charts, not in the
    flows nor in the day's distinct visitors.
    """
    if isinstance(event, Visit | VisitRecord):
        start_ts = event.start.timestamp()
        day, hour = day_hour(event.start, tz, start_ts)
        key = (day, hour, event.zone)
        cell = delta.zone_hour.get(key)
        if cell is None:
            delta.zone_hour[key] = [1.0, event.dwell_s, 0.0]
        else:
            cell[0] += 1.0
            cell[1] += event.dwell_s
        delta.dwell[(day, event.zone, dwell_bucket(event.dwell_s))] += 1
        if event.visitor is None:
            return
        delta.visits.append(
            VisitStep(event.visitor, event.zone, start_ts, event.end.timestamp(), day)
        )
    elif isinstance(event, Occupancy | OccupancyRecord):
        key = (*day_hour(event.start, tz), event.zone)
        cell = delta.zone_hour.get(key)
        if cell is None:
            delta.zone_hour[key] = [0.0, 0.0, float(event.peak)]
        else:
            cell[2] = max(cell[2], float(event.peak))
    elif isinstance(event, Interaction | InteractionRecord):
        day = day_hour(event.ts, tz)[0]
        delta.kiosk[(day, event.artwork or "", event.language or "", event.action)] += 1


def accumulate_all(
    events: Iterable[tuple[Countable, str | None]], tz: tzinfo | None = None
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
