"""Parsers of outside bytes in the sync, fuzzed: only their own errors, ever."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.sync.backoff import parse_retry_after
from hub.sync.batching import gzip_body, signature, signature_ok
from hub.sync.status import SyncStatus, from_dict
from hub.sync.verify import BatchRefused, check_batch, count_records

SECRET = b"fuzz-secret"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@given(st.binary(max_size=2000))
def test_random_ndjson_is_counted_or_refused(body: bytes) -> None:
    try:
        count_records(body)
    except BatchRefused as refused:
        assert refused.status == 400


@given(
    st.lists(
        st.fixed_dictionaries(
            {"type": st.text(max_size=10), "id": st.text(max_size=20)},
            optional={"zone": st.text(max_size=5), "n": st.integers()},
        ),
        max_size=30,
    )
)
def test_encoded_records_round_trip_through_the_receiver(records: list[dict[str, object]]) -> None:
    body = gzip_body(b"".join(json.dumps(r).encode() + b"\n" for r in records))
    stamp = "1795860000"
    headers = {
        "Cimaise-Site": "s",
        "Cimaise-Batch": "b",
        "Cimaise-Timestamp": stamp,
        "Cimaise-Signature": signature(SECRET, stamp, body),
        "Content-Encoding": "gzip",
    }
    assert check_batch(headers, body, SECRET, 1795860000.0, 300) == ("s", "b", len(records))


@given(st.binary(max_size=500), st.text(max_size=80), st.text(max_size=20))
@settings(max_examples=200)
def test_random_requests_are_refused_with_the_receivers_own_error(
    body: bytes, sig: str, stamp: str
) -> None:
    headers = {
        "Cimaise-Site": "s",
        "Cimaise-Batch": "b",
        "Cimaise-Timestamp": stamp,
        "Cimaise-Signature": sig,
        "Content-Encoding": "gzip",
    }
    try:
        check_batch(headers, body, SECRET, 1795860000.0, 300)
    except BatchRefused as refused:
        assert refused.status in (400, 401, 413, 415)
    else:  # only a request signed with the secret passes
        assert signature_ok(SECRET, stamp, body, sig)


@given(st.binary(min_size=1, max_size=300))
def test_truncated_gzip_is_refused(payload: bytes) -> None:
    body = gzip.compress(b'{"type":"t","id":"i"}\n' + payload)[:-5]
    stamp = "1795860000"
    headers = {
        "Cimaise-Site": "s",
        "Cimaise-Batch": "b",
        "Cimaise-Timestamp": stamp,
        "Cimaise-Signature": signature(SECRET, stamp, body),
        "Content-Encoding": "gzip",
    }
    try:
        check_batch(headers, body, SECRET, 1795860000.0, 300)
    except BatchRefused as refused:
        assert refused.status == 400
    else:
        raise AssertionError("a truncated body was accepted")


@given(st.one_of(st.text(max_size=40), st.sampled_from(["²", "٣", "1e9", "-5", " 7 "])))
def test_retry_after_parser_never_raises(value: str) -> None:
    for now in (None, NOW):
        result = parse_retry_after(value, now)
        assert result is None or result >= 0


def test_status_round_trips_through_its_stored_json() -> None:
    status = SyncStatus(enabled=True, backlog=3, last_error="x")
    back = from_dict(json.loads(json.dumps(status.to_dict())))
    assert back == status
