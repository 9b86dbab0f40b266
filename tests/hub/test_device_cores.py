"""Pure cores of the devices part: codes, token buckets, the daily key; the body parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from hypothesis import given
from hypothesis import strategies as st
from zeroconf import InterfaceChoice

from hub.announce import placement_for
from hub.api.events import _envelope, validate_batch
from hub.client.events import encode_event
from hub.devices.codes import ALPHABET, code_hash, new_pairing_code, normalize_code, token_hash
from hub.devices.keyring import KeyRing, next_utc_midnight
from hub.devices.ratelimit import TokenBuckets
from hub.devices.registry import Device
from tests.client.factories import interaction, visit

DEVICE = Device(id="d1", kind="kiosk", name="k", zone="hall")


def test_pairing_codes_are_short_unambiguous_and_typed_any_way() -> None:
    codes = {new_pairing_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(ALPHABET)
    assert not set("0O1IL") & set(ALPHABET)
    code = next(iter(codes))
    assert code_hash(code) == code_hash(f" {code.lower().replace('-', ' ')} ")
    assert normalize_code("ab-cd efgh") == "ABCDEFGH"
    assert token_hash("t") != code_hash("t")


def test_token_bucket_allows_a_burst_then_refills_over_time() -> None:
    buckets = TokenBuckets(capacity=3, refill_per_s=0.5)
    assert [buckets.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert buckets.allow("b", 0.0)  # another address has its own bucket
    assert buckets.retry_after("a", 0.0) == 2.0
    assert not buckets.allow("a", 1.0)
    assert buckets.allow("a", 2.1)
    assert buckets.allow("a", 100.0) and buckets.allow("a", 100.0) and buckets.allow("a", 100.0)
    assert not buckets.allow("a", 100.0)


def test_token_buckets_forget_idle_addresses() -> None:
    buckets = TokenBuckets(capacity=2, refill_per_s=1.0, max_keys=10)
    for i in range(50):
        buckets.allow(f"10.0.0.{i}", float(i))
    assert len(buckets._buckets) <= 11


def test_daily_key_is_new_at_each_utc_midnight_and_kept_within_a_day() -> None:
    draws = iter(bytes([i]) * 64 for i in range(10))
    ring = KeyRing(random_bytes=lambda n: next(draws)[:n])
    morning = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    first = ring.current(morning)
    assert ring.current(morning + timedelta(hours=15)) is first
    assert first.expires == datetime(2026, 11, 28, tzinfo=UTC)
    second = ring.current(datetime(2026, 11, 28, 0, 0, tzinfo=UTC))
    assert second.key != first.key and second.key_id != first.key_id
    assert len(first.key) == 32 and first.key.hex() not in repr(first)
    assert KeyRing().current(morning).key != KeyRing().current(morning).key  # new at start


def test_next_midnight_is_computed_in_utc() -> None:
    paris_evening = datetime.fromisoformat("2026-11-27T23:30:00+01:00")  # 22:30 UTC
    assert next_utc_midnight(paris_evening) == datetime(2026, 11, 28, tzinfo=UTC)


def test_loopback_host_announces_on_loopback_only() -> None:
    placement = placement_for("127.0.0.1")
    assert placement.interfaces == ["127.0.0.1"] and placement.addresses == ["127.0.0.1"]


def test_all_interfaces_only_for_a_hub_listening_on_all() -> None:
    # Computed only: nothing is announced here (tests stay on loopback).
    placement = placement_for("0.0.0.0")
    assert placement.interfaces is InterfaceChoice.All
    assert placement.addresses and all(a.count(".") == 3 for a in placement.addresses)


@given(st.binary(max_size=300))
def test_random_bytes_as_an_event_are_rejected_by_index_never_raised(data: bytes) -> None:
    body = b'{"events":[' + encode_event(interaction()) + b"," + b'"x"]}'
    envelope = _envelope.decode(body)
    raws = [*envelope.events, msgspec.Raw(data)]
    rows, rejected = validate_batch(raws, DEVICE, "site")
    assert len(rows) == 1 and rejected[0].index == 1
    assert len(rows) + len(rejected) == 3


@given(st.integers(min_value=1, max_value=200))
def test_truncated_events_are_rejected(cut: int) -> None:
    raw = encode_event(visit())
    rows, rejected = validate_batch([msgspec.Raw(raw[: max(0, len(raw) - cut)])], DEVICE, "s")
    assert rows == [] and len(rejected) == 1
