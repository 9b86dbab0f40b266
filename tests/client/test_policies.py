from __future__ import annotations

import pytest

from hub.client.policies import Backoff, OutboxBound


def test_backoff_grows_to_its_cap_with_jitter_and_resets() -> None:
    draws = iter([0.0, 1.0, 0.5, 0.0, 1.0, 1.0, 0.0])
    backoff = Backoff(base=1.0, cap=8.0, rng=lambda: next(draws))
    delays = [backoff.next_delay() for _ in range(6)]
    assert delays == [0.5, 2.0, 3.0, 4.0, 8.0, 8.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_backoff_never_retries_immediately_nor_beyond_cap() -> None:
    backoff = Backoff(base=0.5, cap=30.0)
    for _ in range(50):
        delay = backoff.next_delay()
        assert 0.25 <= delay <= 30.0


def test_outbox_bound_makes_room_for_the_newest() -> None:
    bound = OutboxBound(max_events=10)
    assert bound.to_drop(stored=8, incoming=1) == 0
    assert bound.to_drop(stored=8, incoming=5) == 3
    assert bound.to_keep(25) == 10
    with pytest.raises(ValueError):
        OutboxBound(max_events=0)
