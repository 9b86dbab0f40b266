"""RSSI smoothing: a one-dimensional Kalman filter over irregularly spaced samples.

BLE RSSI is noisy (a standard deviation of 4-8 dB from body shadowing and multipath)
and samples arrive irregularly (advertising intervals, channel hopping, dropouts).
A random-walk Kalman filter suits both: the estimate's uncertainty grows with the
time since the last sample, so the first sample after a long gap moves the estimate
a lot and a burst of samples averages noise away. Why this and not an exponential
average or a one-euro filter: see docs/beacon-agent.md (a table from a trace).
"""

from __future__ import annotations

import math
from typing import Final

#: measurement noise variance (dB^2): sigma ~ 4.5 dB, typical indoors
DEFAULT_MEASUREMENT_VAR: Final = 20.0
#: process noise (dB^2 per second): how fast the true level may drift as people walk
DEFAULT_PROCESS_VAR: Final = 2.0
#: innovations beyond this many standard deviations are clipped (Huber), which bounds
#: the step a deep fade makes; off by default: on simulated traces with 15% deep fades
#: it changed nothing measurable (docs/beacon-agent.md)
DEFAULT_GATE_SIGMAS: Final = math.inf


class RssiKalman:
    """A scalar Kalman filter for one device's RSSI; ``now`` is passed in, in seconds."""

    __slots__ = ("estimate", "gate", "last", "process_var", "r", "variance")

    def __init__(
        self,
        rssi: float,
        now: float,
        measurement_var: float = DEFAULT_MEASUREMENT_VAR,
        process_var: float = DEFAULT_PROCESS_VAR,
        gate_sigmas: float = DEFAULT_GATE_SIGMAS,
    ) -> None:
        self.estimate = float(rssi)
        self.variance = measurement_var
        self.last = now
        self.r = measurement_var
        self.process_var = process_var
        self.gate = gate_sigmas * gate_sigmas

    def update(self, rssi: float, now: float) -> float:
        """Fold one sample in and return the new estimate."""
        dt = now - self.last
        if dt > 0:
            self.last = now
            prior = self.variance + self.process_var * dt
        else:
            prior = self.variance
        spread = prior + self.r
        gain = prior / spread
        innovation = rssi - self.estimate
        limit_sq = self.gate * spread
        if innovation * innovation > limit_sq:  # an outlier: clip it (Huber)
            limit = limit_sq**0.5
            innovation = limit if innovation > 0 else -limit
        self.estimate += gain * innovation
        self.variance = (1.0 - gain) * prior
        return self.estimate


class RssiEma:
    """An exponential moving average: the simple filter the Kalman filter is compared to."""

    __slots__ = ("alpha", "estimate")

    def __init__(self, rssi: float, now: float, alpha: float = 0.3) -> None:
        self.estimate = float(rssi)
        self.alpha = alpha

    def update(self, rssi: float, now: float) -> float:
        """Fold one sample in and return the new estimate."""
        self.estimate += self.alpha * (rssi - self.estimate)
        return self.estimate


class RssiRaw:
    """No filtering at all: the baseline of the comparison."""

    __slots__ = ("estimate",)

    def __init__(self, rssi: float, now: float) -> None:
        self.estimate = float(rssi)

    def update(self, rssi: float, now: float) -> float:
        """Return the sample itself."""
        self.estimate = float(rssi)
        return self.estimate
