"""Pure policies of the device link: retry backoff with jitter and the outbox bound.

No IO, no clock of their own: the adapters ask, the policy decides.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Exponential backoff with jitter: delays grow by ``factor`` up to ``cap`` seconds.

    Each delay is drawn in [d/2, d] ("equal jitter") so devices that failed together do
    not retry together, yet never retry immediately.
    """

    base: float = 1.0
    cap: float = 300.0
    factor: float = 2.0
    rng: Callable[[], float] = field(default=random.random)
    attempts: int = 0

    def next_delay(self) -> float:
        """The delay before the next attempt; each call counts one more failure."""
        ceiling = min(self.cap, self.base * self.factor**self.attempts)
        self.attempts += 1
        return ceiling / 2 + self.rng() * ceiling / 2

    def reset(self) -> None:
        """After a success: start again from ``base``."""
        self.attempts = 0


@dataclass(frozen=True)
class OutboxBound:
    """How many events an outbox keeps; when full, the oldest make room for the newest."""

    max_events: int = 100_000

    def __post_init__(self) -> None:
        if self.max_events < 1:
            raise ValueError("an outbox must hold at least one event")

    def to_drop(self, stored: int, incoming: int) -> int:
        """How many of the oldest stored events to drop before adding ``incoming`` more."""
        return max(0, stored + incoming - self.max_events)

    def to_keep(self, incoming: int) -> int:
        """How many of the incoming (newest) events fit at all."""
        return min(incoming, self.max_events)
