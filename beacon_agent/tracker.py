"""Visitor presence in one zone: sans-IO, fed pseudonymous RSSI samples and ``now``.

Per pseudonym the RSSI is smoothed (``smoothing.RssiKalman``) and a presence state
machine with hysteresis decides when a visitor is in the zone:

* out -> in: the smoothed RSSI stays at or above the zone's ``enter_rssi`` for
  ``min_enter_s``; the visit starts when that run started.
* in -> out: the smoothed RSSI stays below ``exit_rssi`` for ``min_exit_s`` (the
  visit ends when that run started), or the device is not heard for
  ``lost_after_s`` (it ends when it was last heard). Short dropouts change nothing.

A ``Visit`` is made on exit; an ``Occupancy`` for every interval of
``occupancy_interval_s`` (aligned on Unix time) in which the tracker was active:
``count`` is the visitors present at any moment of the interval, ``peak`` the most
present at once. Both are computed from the visits' own start and end times, so an
interval is reported once no visit can still end or start inside it (after
``lost_after_s + min_exit_s + min_enter_s``). Times are Unix seconds (floats); the
caller's clock, not ours.

A device in the zone longer than ``max_visit_s`` is not a visitor (a staff phone, a
fixed gadget): it leaves the counts and makes no visit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from beacon_agent.distance import DEFAULT_ENV_FACTOR, distance_m
from beacon_agent.smoothing import DEFAULT_MEASUREMENT_VAR, DEFAULT_PROCESS_VAR, RssiKalman
from hub.client.events import Occupancy, Visit, new_event_id
from hub.client.manifest import Zone

_OUT: Final = 0
_IN: Final = 1
_STATIONARY: Final = 2
#: intervals emitted one by one after a silence; beyond, the tracker skips ahead
_MAX_EMPTY_INTERVALS: Final = 1440


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """How presence is decided; the zone's thresholds come from the manifest's ``Zone``."""

    zone: str
    enter_rssi: float = -70.0
    exit_rssi: float = -80.0
    min_enter_s: float = 5.0
    min_exit_s: float = 15.0
    lost_after_s: float = 30.0
    max_visit_s: float = 4 * 3600.0
    occupancy_interval_s: float = 60.0
    env_factor: float = DEFAULT_ENV_FACTOR
    measurement_var: float = DEFAULT_MEASUREMENT_VAR
    process_var: float = DEFAULT_PROCESS_VAR

    @classmethod
    def from_zone(cls, zone: Zone, **overrides: float) -> TrackerConfig:
        """The configuration of a manifest zone (its thresholds and minimum times)."""
        return cls(
            zone=zone.id,
            enter_rssi=zone.enter_rssi,
            exit_rssi=min(zone.exit_rssi, zone.enter_rssi),
            min_enter_s=zone.min_enter_s,
            min_exit_s=zone.min_exit_s,
            **overrides,
        )


class _Track:
    __slots__ = (
        "below_since",
        "best",
        "filter",
        "last_seen",
        "power",
        "run_best",
        "run_samples",
        "run_start",
        "samples",
        "state",
        "visit_start",
    )

    def __init__(self, rssi: float, now: float, power: float, config: TrackerConfig) -> None:
        self.filter = RssiKalman(rssi, now, config.measurement_var, config.process_var)
        self.state = _OUT
        self.last_seen = now
        self.power = power
        self.run_start: float | None = None
        self.run_samples = 0
        self.run_best = -math.inf
        self.visit_start = 0.0
        self.samples = 0
        self.best = -math.inf
        self.below_since: float | None = None


def utc(seconds: float) -> datetime:
    """An aware UTC datetime from Unix seconds."""
    return datetime.fromtimestamp(seconds, UTC)


class Tracker:
    """Presence of pseudonymous devices in one zone; drain events with ``events()``."""

    def __init__(self, config: TrackerConfig) -> None:
        self.config = config
        self._tracks: dict[str, _Track] = {}
        self._present: set[str] = set()
        # finished visits (start, end) that may still overlap an interval not yet reported
        self._spans: list[tuple[float, float]] = []
        self._lag = config.lost_after_s + config.min_exit_s + config.min_enter_s
        self._next_start: float | None = None
        self._next_end = math.inf
        self._roll_at = math.inf
        self._active = False
        self._out: list[Visit | Occupancy] = []
        self.discarded_long = 0

    # -- inputs ------------------------------------------------------------------

    def start(self, now: float) -> None:
        """Start counting (a pseudonym key is available)."""
        if not self._active:
            self._active = True
            size = self.config.occupancy_interval_s
            self._next_start = now
            self._next_end = math.floor(now / size) * size + size
            self._roll_at = self._next_end + self._lag

    def stop(self, now: float) -> None:
        """Stop counting (no key, or the end): visits end now, intervals up to now reported."""
        if not self._active:
            return
        self.close_all(now)
        self._roll(now, final=True)
        self._active = False
        self._next_start = None
        self._next_end = self._roll_at = math.inf
        self._spans.clear()

    def observe(self, pseudonym: str, rssi: float, now: float, power: float) -> None:
        """One advertisement of a visitor candidate: its pseudonym, RSSI and 1 m power."""
        if now >= self._roll_at:
            self._roll(now)
        track = self._tracks.get(pseudonym)
        config = self.config
        if track is None:
            track = self._tracks[pseudonym] = _Track(rssi, now, power, config)
            smoothed = track.filter.estimate
        else:
            smoothed = track.filter.update(rssi, now)
            track.last_seen = now
        state = track.state
        if state == _IN:
            track.samples += 1
            if smoothed > track.best:
                track.best = smoothed
            if smoothed < config.exit_rssi:
                if track.below_since is None:
                    track.below_since = now
                elif now - track.below_since >= config.min_exit_s:
                    self._end_visit(pseudonym, track, track.below_since)
            else:
                track.below_since = None
                if now - track.visit_start > config.max_visit_s:
                    self._make_stationary(pseudonym, track)
        elif state == _OUT:
            if smoothed >= config.enter_rssi:
                if track.run_start is None:
                    track.run_start = now
                    track.run_samples = 0
                    track.run_best = -math.inf
                track.run_samples += 1
                if smoothed > track.run_best:
                    track.run_best = smoothed
                if now - track.run_start >= config.min_enter_s:
                    self._begin_visit(pseudonym, track)
            else:
                track.run_start = None

    def tick(self, now: float) -> None:
        """Advance time: end visits of devices no longer heard, forget old tracks."""
        if now >= self._roll_at:
            self._roll(now)
        lost_after = self.config.lost_after_s
        gone = [p for p, t in self._tracks.items() if now - t.last_seen >= lost_after]
        for pseudonym in gone:
            track = self._tracks[pseudonym]
            if track.state == _IN:
                end = track.below_since if track.below_since is not None else track.last_seen
                self._end_visit(pseudonym, track, end)
            del self._tracks[pseudonym]

    def close_all(self, now: float) -> None:
        """End every visit in progress (key rotation, shutdown) and forget all tracks."""
        for pseudonym, track in list(self._tracks.items()):
            if track.state == _IN:
                end = track.below_since if track.below_since is not None else track.last_seen
                self._end_visit(pseudonym, track, min(end, now))
        self._tracks.clear()
        self._present.clear()

    # -- outputs -----------------------------------------------------------------

    def events(self) -> list[Visit | Occupancy]:
        """The events made since the last call, oldest first."""
        out, self._out = self._out, []
        return out

    @property
    def present(self) -> int:
        """Visitors in the zone right now."""
        return len(self._present)

    @property
    def tracked(self) -> int:
        """Devices followed right now (in the zone or not)."""
        return len(self._tracks)

    # -- internals ---------------------------------------------------------------

    def _begin_visit(self, pseudonym: str, track: _Track) -> None:
        assert track.run_start is not None
        track.state = _IN
        track.visit_start = track.run_start
        track.samples = track.run_samples
        track.best = track.run_best
        track.below_since = None
        track.run_start = None
        if self._active:
            self._present.add(pseudonym)

    def _end_visit(self, pseudonym: str, track: _Track, end: float) -> None:
        track.state = _OUT
        track.run_start = None
        track.below_since = None
        self._present.discard(pseudonym)
        if not self._active:
            return
        start = track.visit_start
        end = max(end, start)
        if end - start > self.config.max_visit_s:
            self.discarded_long += 1
            return
        self._spans.append((start, end))
        self._out.append(
            Visit(
                id=new_event_id(int(end * 1000)),
                ts=utc(end),
                zone=self.config.zone,
                visitor=pseudonym,
                start=utc(start),
                end=utc(end),
                dwell_s=round(end - start, 3),
                samples=track.samples,
                min_distance_m=distance_m(track.best, track.power, self.config.env_factor),
            )
        )

    def _make_stationary(self, pseudonym: str, track: _Track) -> None:
        track.state = _STATIONARY
        self._present.discard(pseudonym)
        self.discarded_long += 1

    def _roll(self, now: float, final: bool = False) -> None:
        """Report every interval no visit can change any more (all up to now when final)."""
        size = self.config.occupancy_interval_s
        limit = now if final else now - self._lag
        while self._next_start is not None and self._next_end <= limit:
            self._emit_occupancy(self._next_start, self._next_end)
            start = self._next_end
            if limit - start >= _MAX_EMPTY_INTERVALS * size:  # days of silence: skip ahead
                start = math.floor(limit / size) * size
            self._next_start = start
            self._next_end = start + size
        if final and self._next_start is not None and now > self._next_start:
            self._emit_occupancy(self._next_start, now)
            self._next_start = now
        self._roll_at = self._next_end + self._lag
        if self._next_start is not None:
            floor = self._next_start
            self._spans = [span for span in self._spans if span[1] >= floor]

    def _emit_occupancy(self, start: float, end: float) -> None:
        # visits overlapping [start, end): finished ones, and those still in progress
        spans = [
            (max(a, start), min(b, end))
            for a, b in self._spans
            if a < end and (b > start or a >= start)
        ]
        for pseudonym in self._present:
            visit_start = self._tracks[pseudonym].visit_start
            if visit_start < end:
                spans.append((max(visit_start, start), end))
        # peak: sweep the starts (+1) and ends (-1); an end at t comes before a start at t
        edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
        peak = current = 0
        for _, step in edges:
            current += step
            peak = max(peak, current)
        self._out.append(
            Occupancy(
                id=new_event_id(int(end * 1000)),
                ts=utc(end),
                zone=self.config.zone,
                start=utc(start),
                end=utc(end),
                count=len(spans),
                peak=peak,
            )
        )
