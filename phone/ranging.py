"""Which artwork is the visitor standing at: smoothed RSSI, hysteresis, hold time.

A sans-IO core. It is fed sightings of the museum's own beacons (already matched
to a beacon id by :mod:`phone.beacons`; nothing else ever reaches it) with the
time of each, and answers which artwork is nearest and which come next.

Why each knob exists:

* RSSI jumps by 5-10 dB between packets (body shadowing, multipath), so each
  beacon's readings go through the beacon agent's Kalman filter
  (:class:`beacon_agent.smoothing.RssiKalman`), which copes with irregular
  advertising intervals and averages the first readings plainly.
* Two neighbouring artworks a metre apart read nearly the same: a challenger
  must beat the artwork on screen by ``margin_db`` *and* the card must have been
  shown ``hold_s`` seconds before it changes, so the card does not flicker.
* "Nothing near": no beacon above ``near_rssi``; the card on screen stays until
  its beacon falls below ``near_rssi - exit_margin_db`` or is not heard for
  ``stale_s`` (the visitor walked away, or the phone went into a pocket).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from beacon_agent.smoothing import RssiKalman


@dataclasses.dataclass(frozen=True, slots=True)
class RangingConfig:
    """Tuning of the nearest-artwork decision (dBm, seconds)."""

    measurement_var: float = 20.0  # RSSI noise of one packet, dB^2
    process_var: float = 2.0  # how fast the true level drifts as the visitor walks, dB^2/s
    near_rssi: float = -72.0  # smoothed RSSI above which a beacon counts as near
    exit_margin_db: float = 5.0  # the card on screen stays down to near_rssi - this
    margin_db: float = 4.0  # a challenger must beat the card on screen by this much
    hold_s: float = 4.0  # minimum time a card stays on screen before another replaces it
    stale_s: float = 6.0  # a beacon not heard for this long is forgotten
    confirm_s: float = 1.0  # a new card must lead this long without a break before it shows
    min_samples: int = 3  # sightings before a beacon may make a card (one loud packet may not)


@dataclasses.dataclass(frozen=True, slots=True)
class Nearby:
    """What the "near you" card shows: the nearest artwork and the next closest ones."""

    artwork: str | None
    others: tuple[str, ...] = ()


@dataclasses.dataclass(slots=True)
class _Signal:
    filter: RssiKalman
    last_seen: float
    samples: int = 1

    @property
    def rssi(self) -> float:
        return self.filter.estimate


class Ranging:
    """Smoothed RSSI per museum beacon and the nearest artwork, with hysteresis.

    ``beacons`` maps each museum beacon id to its artwork id (beacons of a zone,
    not of an artwork, map to None and never make a card). Sightings of any id
    not in the map are dropped without a trace.
    """

    def __init__(
        self, beacons: Mapping[str, str | None], config: RangingConfig | None = None
    ) -> None:
        self._artwork_of = {b: a for b, a in beacons.items() if a is not None}
        self.config = config or RangingConfig()
        self._signals: dict[str, _Signal] = {}
        self._current: str | None = None
        self._since = -math.inf
        self._challenger: str | None = None
        self._challenger_since = 0.0
        self.switches = 0  # how many times the card changed (None counts as a card)

    def observe(self, beacon_id: str, rssi: float, now: float) -> None:
        """Feed one sighting of a beacon; unknown beacons are ignored."""
        if beacon_id not in self._artwork_of:
            return
        cfg = self.config
        signal = self._signals.get(beacon_id)
        if signal is None or now - signal.last_seen > cfg.stale_s:
            kalman = RssiKalman(rssi, now, cfg.measurement_var, cfg.process_var)
            self._signals[beacon_id] = _Signal(kalman, now)
            return
        signal.filter.update(rssi, now)
        signal.last_seen = now
        signal.samples += 1

    def tracked(self) -> list[str]:
        """Beacon ids with a live signal (only ever museum beacons)."""
        return sorted(self._signals)

    def levels(self, now: float) -> dict[str, float]:
        """Smoothed RSSI per artwork (its loudest beacon), fresh signals only."""
        self._forget(now)
        out: dict[str, float] = {}
        for beacon_id, signal in self._signals.items():
            if signal.samples < self.config.min_samples:
                continue
            artwork = self._artwork_of[beacon_id]
            out[artwork] = max(out.get(artwork, -math.inf), signal.rssi)
        return out

    def update(self, now: float) -> Nearby:
        """Decide what the card shows at ``now``."""
        cfg = self.config
        levels = self.levels(now)
        ranked = sorted(levels, key=lambda a: (-levels[a], a))
        best = next((a for a in ranked if levels[a] >= cfg.near_rssi), None)
        current = self._current
        held = now - self._since >= cfg.hold_s
        challenger: str | None = None
        if current is not None and levels.get(current, -math.inf) < cfg.near_rssi - (
            cfg.exit_margin_db
        ):
            # The visitor walked away from the card: go to the best, or to nothing.
            self._set(best, now)
        elif current is None or (
            best is not None
            and best != current
            and held
            and levels[best] >= levels[current] + cfg.margin_db
        ):
            challenger = best
        if challenger is None or challenger != self._challenger:
            self._challenger = challenger
            self._challenger_since = now
        elif now - self._challenger_since >= cfg.confirm_s:
            self._set(challenger, now)
        shown = self._current
        others = tuple(a for a in ranked if a != shown and levels[a] >= cfg.near_rssi - 15.0)
        return Nearby(shown, others[:3])

    def _set(self, artwork: str | None, now: float) -> None:
        if artwork != self._current:
            self._current = artwork
            self._since = now
            self.switches += 1
        self._challenger = None

    def _forget(self, now: float) -> None:
        stale = [b for b, s in self._signals.items() if now - s.last_seen > self.config.stale_s]
        for beacon_id in stale:
            del self._signals[beacon_id]
