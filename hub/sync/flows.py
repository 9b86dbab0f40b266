"""Flows between zones from one day's pseudonymous visits, as k-anonymous counts (pure).

Per pseudonym, visits are ordered by start; each step from one zone into a different
zone is a transition, counted in the hour (UTC) the visitor entered the new zone. A
cell (from, to, hour) is kept only when at least ``k`` distinct pseudonyms made it: a
count below k could single out a person, so it is dropped, not rounded. Pseudonyms
never leave this function.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_K = 5
DEFAULT_MAX_GAP = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class VisitSpan:
    """What flows need of a visit: who (pseudonym), where, when."""

    visitor: str
    zone: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class FlowCount:
    """Transitions from one zone to another that started in one hour."""

    hour: datetime
    from_zone: str
    to_zone: str
    count: int
    visitors: int


@dataclass(frozen=True, slots=True)
class FlowResult:
    """The kept cells and how many were suppressed under k."""

    flows: list[FlowCount]
    suppressed_cells: int
    transitions: int


def compute_flows(
    visits: Iterable[VisitSpan], k: int = DEFAULT_K, max_gap: timedelta = DEFAULT_MAX_GAP
) -> FlowResult:
    """Count zone-to-zone transitions per hour, keeping cells of at least ``k`` visitors.

    A step whose gap (next start minus previous end) exceeds ``max_gap`` is not a
    transition: the visitor left and came back, or two people share nothing but a
    pseudonym collision.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    by_visitor: dict[str, list[VisitSpan]] = defaultdict(list)
    for visit in visits:
        by_visitor[visit.visitor].append(visit)
    counts: dict[tuple[datetime, str, str], int] = defaultdict(int)
    people: dict[tuple[datetime, str, str], set[str]] = defaultdict(set)
    transitions = 0
    for visitor, spans in by_visitor.items():
        spans.sort(key=lambda v: (v.start, v.end))
        for before, after in itertools.pairwise(spans):
            if after.zone == before.zone or after.start - before.end > max_gap:
                continue
            hour = after.start.replace(minute=0, second=0, microsecond=0)
            cell = (hour, before.zone, after.zone)
            counts[cell] += 1
            people[cell].add(visitor)
            transitions += 1
    kept = [
        FlowCount(hour, a, b, counts[(hour, a, b)], len(who))
        for (hour, a, b), who in people.items()
        if len(who) >= k
    ]
    kept.sort(key=lambda f: (f.hour, f.from_zone, f.to_zone))
    return FlowResult(kept, len(people) - len(kept), transitions)
