"""The daily pseudonym key that beacon agents hash Bluetooth addresses with.

Pure: fed ``now``; randomness injectable. The key is 32 random bytes made at hub start
and again at every UTC midnight; it lives in this object only (never written, never
logged), so pseudonyms cannot be linked across days nor across hub restarts.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta


@dataclasses.dataclass(frozen=True, slots=True)
class DailyKey:
    """One key with its public id and when it stops being handed out."""

    key: bytes = dataclasses.field(repr=False)
    key_id: str
    expires: datetime


def next_utc_midnight(now: datetime) -> datetime:
    """The first UTC midnight strictly after ``now``."""
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


class KeyRing:
    """Hands out the current daily key, making a new one when the day changes."""

    def __init__(self, random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self._random = random_bytes
        self._key: DailyKey | None = None

    def current(self, now: datetime) -> DailyKey:
        """The key for ``now`` (a new one after its expiry)."""
        if self._key is None or now >= self._key.expires:
            self._key = DailyKey(
                key=self._random(32),
                key_id=self._random(6).hex(),  # random, so it says nothing about the key
                expires=next_utc_midnight(now),
            )
        return self._key
