"""A token-bucket rate limit as a pure object: the adapter asks, the bucket decides."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBuckets:
    """One bucket per key (e.g. a client address): ``capacity`` tries, refilled over time.

    ``allow(key, now)`` takes a token when one is left; ``retry_after(key, now)`` says how
    many seconds until the next one. ``now`` is a monotonic time in seconds.
    """

    capacity: float = 10.0
    refill_per_s: float = 1.0 / 6.0
    max_keys: int = 10_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def _level(self, key: str, now: float) -> float:
        level, since = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, level + (now - since) * self.refill_per_s)

    def allow(self, key: str, now: float) -> bool:
        """Take one token for ``key``; False when its bucket is empty."""
        level = self._level(key, now)
        if level < 1.0:
            self._buckets[key] = (level, now)
            return False
        self._buckets[key] = (level - 1.0, now)
        if len(self._buckets) > self.max_keys:
            self._forget_full(now)
        return True

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        missing = 1.0 - self._level(key, now)
        return max(0.0, missing / self.refill_per_s)

    def _forget_full(self, now: float) -> None:
        for key in [k for k in self._buckets if self._level(k, now) >= self.capacity]:
            del self._buckets[key]
