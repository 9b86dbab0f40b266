from __future__ import annotations

import pytest

from hub.web.ratelimit import TokenBucketLimit


def test_bucket_allows_capacity_then_refuses_until_refilled() -> None:
    limit = TokenBucketLimit(capacity=3, rate=0.5)
    assert [limit.take("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limit.retry_after("a", 0.0) == pytest.approx(2.0)
    assert not limit.take("a", 1.9)
    assert limit.take("a", 4.0)


def test_keys_are_independent_and_take_all_takes_nothing_when_one_is_empty() -> None:
    limit = TokenBucketLimit(capacity=1, rate=0.01)
    assert limit.take_all(["user:x", "addr:1"], 0.0)
    assert not limit.take_all(["user:y", "addr:1"], 0.0)  # the address is spent
    assert limit.take("user:y", 0.0)  # and user:y kept its token


def test_bucket_memory_is_bounded() -> None:
    limit = TokenBucketLimit(capacity=1, rate=1.0, max_keys=10)
    for i in range(100):
        limit.take(f"k{i}", float(i) / 1000)
    assert len(limit._buckets) <= 10
