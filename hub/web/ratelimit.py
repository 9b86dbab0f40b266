"""A token-bucket rate limit policy: a pure object, the clock passed in.

Used for login attempts (per user name and per client address): each attempt takes a
token; tokens come back at a steady rate up to the bucket's capacity.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimit:
    """Allow ``capacity`` attempts at once per key, then one every ``1 / rate`` seconds."""

    def __init__(self, capacity: float = 5.0, rate: float = 1.0 / 30.0, max_keys: int = 10_000):
        if capacity < 1 or rate <= 0 or max_keys < 1:
            raise ValueError("capacity >= 1, rate > 0 and max_keys >= 1 are required")
        self.capacity = capacity
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.rate)
            bucket.updated = now
        return bucket

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled (they behave like new ones); else the oldest."""
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.capacity
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            oldest = min(self._buckets, key=lambda k: self._buckets[k].updated)
            del self._buckets[oldest]

    def peek(self, key: str, now: float) -> bool:
        """Whether an attempt for ``key`` would be allowed now (takes nothing)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return True
        tokens = min(self.capacity, bucket.tokens + max(0.0, now - bucket.updated) * self.rate)
        return tokens >= 1.0

    def take(self, key: str, now: float) -> bool:
        """Take a token for ``key``; False (and nothing taken) when the bucket is empty."""
        bucket = self._bucket(key, now)
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` has a token again (0 when it has one)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        tokens = min(self.capacity, bucket.tokens + max(0.0, now - bucket.updated) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def take_all(self, keys: list[str], now: float) -> bool:
        """Take one token from each key's bucket only if every one of them has a token."""
        if not all(self.peek(k, now) for k in keys):
            for key in keys:  # keep the buckets' refill time current
                self._bucket(key, now)
            return False
        for key in keys:
            self.take(key, now)
        return True
