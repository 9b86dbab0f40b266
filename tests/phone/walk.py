"""A scripted visitor walk past artworks on a wall, with realistic RSSI noise.

Artworks hang ``spacing`` metres apart on a wall; the visitor walks along it a
metre away, stops in front of each, then leaves. Every beacon advertises a few
times a second; packets get lost and RSSI follows a log-distance path loss with
Gaussian noise (seeded, so a walk is the same on every run).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random


@dataclasses.dataclass(frozen=True)
class Sighting:
    t: float
    beacon: str
    rssi: int


@dataclasses.dataclass(frozen=True)
class Walk:
    sightings: list[Sighting]
    truth: list[tuple[float, str | None]]  # (t, the artwork truly nearest, or None)

    def true_changes(self) -> int:
        return sum(1 for a, b in itertools.pairwise(self.truth) if a[1] != b[1])

    def truth_at(self, t: float) -> str | None:
        current: str | None = None
        for at, artwork in self.truth:
            if at > t:
                break
            current = artwork
        return current


def rssi_at(distance_m: float, measured_power: float = -59.0, exponent: float = 2.2) -> float:
    return measured_power - 10.0 * exponent * math.log10(max(distance_m, 0.1))


def walk_past(
    beacons: list[tuple[str, str]],  # (beacon id, artwork id), in wall order
    *,
    spacing: float = 3.0,
    stop_s: float = 20.0,
    speed: float = 0.6,
    noise_db: float = 4.0,
    interval_s: float = 0.3,
    loss: float = 0.2,
    near_m: float = 3.5,
    seed: int = 7,
    strangers: int = 0,
) -> tuple[Walk, list[tuple[float, str, int]]]:
    """The walk, and (t, address-like stranger id, rssi) of other devices around."""
    rng = random.Random(seed)
    xs = [i * spacing for i in range(len(beacons))]
    # Waypoints: from 8 m before the first artwork, stop at each, leave 8 m past the last.
    path: list[tuple[float, float]] = []  # (t, x) keyframes
    t = 0.0
    x = xs[0] - 8.0
    path.append((t, x))
    for target in [*xs, xs[-1] + 12.0]:
        t += abs(target - x) / speed
        x = target
        path.append((t, x))
        if target in xs:
            t += stop_s
            path.append((t, x))
    end = t

    def position(at: float) -> float:
        for (t0, x0), (t1, x1) in itertools.pairwise(path):
            if t0 <= at <= t1:
                return x0 if t1 == t0 else x0 + (x1 - x0) * (at - t0) / (t1 - t0)
        return path[-1][1]

    def distance(at: float, i: int) -> float:
        return math.hypot(position(at) - xs[i], 1.0)

    sightings: list[Sighting] = []
    others: list[tuple[float, str, int]] = []
    phase = [rng.uniform(0, interval_s) for _ in beacons]
    truth: list[tuple[float, str | None]] = []
    step = 0.1
    n = int(end / step) + 1
    for k in range(n):
        at = k * step
        dists = [distance(at, i) for i in range(len(beacons))]
        nearest = min(range(len(beacons)), key=lambda i: dists[i])
        truly: str | None = beacons[nearest][1] if dists[nearest] <= near_m else None
        if not truth or truth[-1][1] != truly:
            truth.append((at, truly))
        for i, (beacon, _) in enumerate(beacons):
            # a sighting when this beacon's advertising tick falls in this step
            if (at - phase[i]) % interval_s < step and rng.random() > loss:
                rssi = rssi_at(dists[i]) + rng.gauss(0.0, noise_db)
                sightings.append(Sighting(round(at, 3), beacon, round(rssi)))
        for s in range(strangers):
            if rng.random() < 0.3:
                others.append((round(at, 3), f"stranger-{s}", rng.randint(-90, -40)))
    return Walk(sightings, truth), others
