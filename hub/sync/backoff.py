"""When to try a batch again, and when to stop trying (pure policy).

Exponential backoff with full jitter (a delay drawn between 0 and ``base * 2**n``,
capped), so many hubs that lost the same receiver do not return together. A
``Retry-After`` from the receiver wins over the drawn delay. Answers that a retry
cannot fix are not retried forever: 4xx other than 408/429 park the batch, and
answers that say the hub itself is misconfigured (401/403: secret or clock; 404/405
and redirects: URL) halt the sync until someone acts.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime


class Verdict(enum.Enum):
    """What the sync does after one attempt."""

    DELIVERED = "delivered"  # 2xx: the receiver stored it; advance the cursor
    RETRY = "retry"  # 5xx, 408, 429, timeout, connection error: same batch later
    TOO_LARGE = "too_large"  # 413: split the batch and try the halves
    PARK = "park"  # other 4xx: this batch cannot be delivered; set it aside
    HALT = "halt"  # 401/403/404/405/3xx: every batch would fail; wait for a fix


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict and, for a retry, the delay in seconds."""

    verdict: Verdict
    delay: float = 0.0


def classify(status: int | None) -> Verdict:
    """The verdict for an HTTP status (None: no answer at all)."""
    if status is None or status >= 500 or status in (408, 429):
        return Verdict.RETRY
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if status == 413:
        return Verdict.TOO_LARGE
    if status in (401, 403, 404, 405) or 300 <= status < 400:
        return Verdict.HALT
    if 400 <= status < 500:
        return Verdict.PARK
    return Verdict.RETRY  # 1xx and other oddities: try again later


def parse_retry_after(value: str | None, now: datetime | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    if now is None:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter; ``max_retry_after`` bounds a receiver's hint."""

    base: float = 1.0
    cap: float = 300.0
    max_retry_after: float = 3600.0

    def delay(self, failures: int, rand: Callable[[], float]) -> float:
        """The wait after the ``failures``-th failure in a row (1 for the first)."""
        ceiling = min(self.cap, self.base * 2.0 ** max(0, min(failures - 1, 62)))
        return rand() * ceiling

    def decide(
        self,
        status: int | None,
        failures: int,
        rand: Callable[[], float],
        retry_after: str | None = None,
        now: datetime | None = None,
    ) -> Decision:
        """The decision after an attempt; ``failures`` counts this one if it failed."""
        verdict = classify(status)
        if verdict is not Verdict.RETRY:
            return Decision(verdict)
        hint = parse_retry_after(retry_after, now)
        if hint is not None:
            return Decision(verdict, min(hint, self.max_retry_after))
        return Decision(verdict, self.delay(failures, rand))
