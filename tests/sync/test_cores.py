"""The pure cores of the sync, driven with scripted inputs."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from cimaise.settings import PrivacyMode
from hub.client.events import Interaction, Occupancy, Visit, encode_event, new_event_id
from hub.sync.backoff import Backoff, Verdict, classify, parse_retry_after
from hub.sync.batching import (
    StreamRows,
    batch_id,
    cut,
    edge_digest,
    gzip_body,
    headers,
    signature,
    signature_ok,
)
from hub.sync.cursor import StreamCursor
from hub.sync.flows import VisitSpan, compute_flows
from hub.sync.privacy import FlowRecord, StoredRow, event_rows, flow_rows, to_line

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
PSEUDONYM = "a1b2c3d4e5f60718"


def _row(
    event: Visit | Occupancy | Interaction, seq: int = 1, zone: str | None = None
) -> StoredRow:
    return StoredRow(
        seq=seq,
        id=event.id,
        type=type(event).__name__.lower(),
        received="2026-11-26T10:00:01.000000Z",
        device_id="dev-1",
        site="louvre-lens",
        zone=zone,
        body=encode_event(event).decode(),
    )


def _visit(visitor: str = PSEUDONYM) -> Visit:
    return Visit(
        id=new_event_id(),
        ts=T0,
        zone="room-1",
        visitor=visitor,
        start=T0,
        end=T0 + timedelta(seconds=90),
        dwell_s=90.0,
        samples=12,
        min_distance_m=1.5,
    )


# privacy ---------------------------------------------------------------------------------


def test_anonymous_visit_keeps_zone_times_dwell_and_drops_the_pseudonym() -> None:
    line = to_line(_row(_visit()), "anonymous")
    assert line is not None and line.endswith(b"\n")
    assert PSEUDONYM.encode() not in line
    record = json.loads(line)
    assert "visitor" not in record
    assert record["type"] == "visit"
    assert record["zone"] == "room-1"
    assert record["dwell_s"] == 90.0
    assert record["samples"] == 12
    assert record["min_distance_m"] == 1.5
    assert record["start"].startswith("2026-11-26T10:00:00")
    assert record["site"] == "louvre-lens" and record["device"] == "dev-1"
    assert record["received"] == "2026-11-26T10:00:01.000000Z"


def test_pseudonymous_mode_keeps_the_pseudonym() -> None:
    line = to_line(_row(_visit()), "pseudonymous")
    assert line is not None
    assert json.loads(line)["visitor"] == PSEUDONYM


def test_purged_visit_travels_without_pseudonym_in_either_mode() -> None:
    row = _row(_visit())
    body = json.loads(row.body)
    body["visitor"] = None
    purged = StoredRow(
        row.seq,
        row.id,
        row.type,
        row.received,
        row.device_id,
        row.site,
        row.zone,
        json.dumps(body),
    )
    modes: list[PrivacyMode] = ["anonymous", "pseudonymous"]
    for mode in modes:
        line = to_line(purged, mode)
        assert line is not None and "visitor" not in json.loads(line)


def test_unlisted_body_fields_never_reach_the_wire() -> None:
    row = _row(_visit())
    body = json.loads(row.body)
    body["address"] = "5A:11:22:33:44:55"
    body["phone_id"] = "abcdef"
    tampered = StoredRow(
        row.seq,
        row.id,
        row.type,
        row.received,
        row.device_id,
        row.site,
        row.zone,
        json.dumps(body),
    )
    line = to_line(tampered, "pseudonymous")
    assert line is not None
    assert b"5A:11" not in line and b"phone_id" not in line


def test_interaction_carries_the_kiosk_zone_and_occupancy_its_counts() -> None:
    tap = Interaction(
        id=new_event_id(),
        ts=T0,
        session="0f" * 8,
        action="view_artwork",
        artwork="mona-lisa",
        language="fr",
    )
    record = json.loads(to_line(_row(tap, zone="room-2"), "anonymous") or b"")
    assert record["zone"] == "room-2" and record["artwork"] == "mona-lisa"
    occ = Occupancy(
        id=new_event_id(),
        ts=T0,
        zone="room-1",
        start=T0,
        end=T0 + timedelta(minutes=1),
        count=3,
        peak=4,
    )
    record = json.loads(to_line(_row(occ), "anonymous") or b"")
    assert (record["count"], record["peak"]) == (3, 4)


def test_unknown_event_type_is_skipped() -> None:
    row = StoredRow(1, "x", "heartbeat", "t", "d", "s", None, '{"type":"heartbeat","id":"x"}')
    assert to_line(row, "anonymous") is None


@pytest.mark.parametrize("mode", ["anonymous", "pseudonymous"])
def test_stream_rows_hold_the_lines_of_the_row_by_row_transform(mode: PrivacyMode) -> None:
    tap = Interaction(
        id=new_event_id(), ts=T0, session="0f" * 8, action="zoom", artwork="halo", screen="art"
    )
    stored = [
        _row(_visit(), seq=3),
        _row(tap, seq=4, zone="room-2"),
        StoredRow(5, "x", "heartbeat", "t", "d", "s", None, '{"type":"heartbeat","id":"x"}'),
        _row(_visit(), seq=7),
    ]
    rows = event_rows(
        [(r.seq, r.received, r.device_id, r.site, r.zone, r.body) for r in stored], mode
    )
    expected = [to_line(r, mode) or b"" for r in stored]
    assert rows.seqs == [3, 4, 5, 7] and rows.skipped == {5} and rows.records == 3
    assert rows.lines() == expected
    assert rows.body == b"".join(expected)
    assert (PSEUDONYM.encode() in rows.body) is (mode == "pseudonymous")


def test_stream_rows_are_cut_by_rows_and_bytes_with_skipped_rows_in_the_range() -> None:
    lines = [b'{"id":"a"}\n', b"", b'{"id":"b"}\n', b'{"id":"c"}\n']
    rows = StreamRows.of_lines([1, 2, 3, 4], lines)
    assert rows.head(10, 1000) is rows  # fits: no copy
    two = rows.head(2, 1000)  # the skipped row counts towards the rows
    assert (two.seqs, two.body, two.skipped, two.records) == ([1, 2], lines[0], {2}, 1)
    by_bytes = rows.head(10, 25)
    assert by_bytes.seqs == [1, 2, 3] and by_bytes.body == lines[0] + lines[2]
    assert StreamRows.of_lines([9], [b"x" * 100 + b"\n"]).head(10, 10).seqs == [9]  # never empty


def test_edge_digest_hashes_the_first_and_last_records_only() -> None:
    body = b'{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n'
    assert edge_digest(body) == edge_digest(b'{"id":"a"}\n{"id":"other"}\n{"id":"c"}\n')
    assert edge_digest(body) != edge_digest(b'{"id":"a"}\n{"id":"b"}\n')
    assert edge_digest(b"") == "" and StreamRows([1], b"", frozenset({1})).digest() == ""
    # batch ids in flight are stored: the digest of the same records must never change
    assert edge_digest(body) == "d5670b9d"
    assert edge_digest(b"events-ep-1-4-abcd") == "8c3ca2c0"


def test_stream_rows_refuse_parts_that_do_not_agree() -> None:
    with pytest.raises(ValueError, match="2 lines for 3 records"):
        StreamRows([1, 2, 3], b'{"id":"a"}\n{"id":"b"}\n').lines()
    with pytest.raises(ValueError, match="1 flow records for 2 sequence numbers"):
        flow_rows([1, 2], [_flow()])


def _flow() -> FlowRecord:
    return FlowRecord(
        id="flow-x",
        day="2026-11-26",
        hour="2026-11-26T10:00:00Z",
        from_zone="a",
        to_zone="b",
        count=7,
        visitors=6,
        site="s",
    )


def test_flow_record_names_from_and_to() -> None:
    assert json.loads(flow_rows([1], [_flow()]).body) == {
        "type": "flow",
        "id": "flow-x",
        "day": "2026-11-26",
        "hour": "2026-11-26T10:00:00Z",
        "from": "a",
        "to": "b",
        "count": 7,
        "visitors": 6,
        "site": "s",
    }


# flows -----------------------------------------------------------------------------------


def _spans(visitor: str, zones: list[str], start: datetime) -> list[VisitSpan]:
    out = []
    for i, zone in enumerate(zones):
        begin = start + timedelta(minutes=5 * i)
        out.append(VisitSpan(visitor, zone, begin, begin + timedelta(minutes=4)))
    return out


def test_flows_count_transitions_per_hour_and_suppress_cells_under_k() -> None:
    visits: list[VisitSpan] = []
    for n in range(6):  # six people go a -> b -> c
        visits += _spans(f"p{n}", ["a", "b", "c"], T0)
    for n in range(4):  # four people go a -> d: under k = 5
        visits += _spans(f"q{n}", ["a", "d"], T0)
    result = compute_flows(reversed(visits), k=5)
    cells = {(f.from_zone, f.to_zone): (f.count, f.visitors) for f in result.flows}
    assert cells == {("a", "b"): (6, 6), ("b", "c"): (6, 6)}
    assert all(f.hour == T0 for f in result.flows)
    assert result.suppressed_cells == 1
    assert result.transitions == 16


def test_one_visitor_going_back_and_forth_does_not_reach_k() -> None:
    visits = _spans("solo", ["a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "a"], T0)
    result = compute_flows(visits, k=5)
    assert result.flows == []


def test_same_zone_again_and_long_gaps_are_not_transitions() -> None:
    visits = [
        VisitSpan("p", "a", T0, T0 + timedelta(minutes=1)),
        VisitSpan("p", "a", T0 + timedelta(minutes=2), T0 + timedelta(minutes=3)),
        VisitSpan("p", "b", T0 + timedelta(hours=2), T0 + timedelta(hours=2, minutes=1)),
    ]
    assert compute_flows(visits, k=1).transitions == 0


def test_transition_counts_in_the_hour_the_new_zone_was_entered() -> None:
    start = T0 + timedelta(minutes=55)
    visits = [
        VisitSpan("p", "a", start, start + timedelta(minutes=4)),
        VisitSpan("p", "b", start + timedelta(minutes=6), start + timedelta(minutes=9)),
    ]
    (flow,) = compute_flows(visits, k=1).flows
    assert flow.hour == T0 + timedelta(hours=1)


# batching --------------------------------------------------------------------------------


def test_cut_respects_count_and_bytes_but_always_takes_one_line() -> None:
    assert cut([10] * 10, max_count=4, max_bytes=1000) == 4
    assert cut([10] * 10, max_count=100, max_bytes=35) == 3
    assert cut([5000, 10], max_count=100, max_bytes=100) == 1
    assert cut([], max_count=10, max_bytes=10) == 0


def test_body_is_gzip_ndjson_and_signature_covers_timestamp_and_compressed_body() -> None:
    body = gzip_body(b'{"a":1}\n{"b":2}\n')
    assert gzip.decompress(body) == b'{"a":1}\n{"b":2}\n'
    sig = signature(b"s3cret", 1_700_000_000, body)
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    assert signature_ok(b"s3cret", "1700000000", body, sig)
    assert not signature_ok(b"other", "1700000000", body, sig)
    assert not signature_ok(b"s3cret", "1700000001", body, sig)
    assert not signature_ok(b"s3cret", "1700000000", body + b"x", sig)
    assert not signature_ok(b"s3cret", "1700000000", body, "sha256=zz")
    h = headers("site-a", "events-e-1-2", 1_700_000_000, body, b"s3cret")
    assert h["Cimaise-Signature"] == sig and h["Content-Encoding"] == "gzip"
    assert h["Content-Type"] == "application/x-ndjson" and h["Cimaise-Batch"] == "events-e-1-2"


def test_batch_id_is_stable_for_a_range_and_differs_by_epoch() -> None:
    assert batch_id("e1", "events", 1, 9) == batch_id("e1", "events", 1, 9)
    assert batch_id("e1", "events", 1, 9) != batch_id("e2", "events", 1, 9)
    assert batch_id("e1", "events", 1, 9) != batch_id("e1", "flows", 1, 9)


# cursor ----------------------------------------------------------------------------------


def _rows(*seqs: int) -> StreamRows:
    return StreamRows(list(seqs), b"".join(b'{"id":"%d"}\n' % seq for seq in seqs))


def test_cursor_retries_the_same_batch_and_moves_only_when_done() -> None:
    cursor = StreamCursor("events")
    assert cursor.window() == (1, None)
    cursor = cursor.plan(_rows(1, 2), "ep")
    assert cursor.in_flight is not None
    assert (cursor.in_flight.first, cursor.in_flight.last) == (1, 2)
    planned = cursor.in_flight.batch
    cursor = cursor.failed().failed()
    # more rows arrived meanwhile: the batch in flight keeps its range and id
    assert cursor.plan(_rows(1, 2, 3, 4), "ep") is cursor
    assert cursor.window() == (1, 2)
    assert cursor.in_flight is not None and cursor.in_flight.failures == 2
    assert cursor.in_flight.batch == planned
    cursor = cursor.done()
    assert cursor.position == 2 and cursor.in_flight is None and cursor.window() == (3, None)


def test_cursor_splits_a_batch_too_large_until_one_row() -> None:
    cursor = StreamCursor("events").plan(_rows(5, 6, 8, 9), "ep")
    halved = cursor.split([5, 6, 8, 9], "ep")
    assert halved is not None and halved.window() == (5, 6)
    assert halved.in_flight is not None and cursor.in_flight is not None
    assert halved.in_flight.batch != cursor.in_flight.batch
    assert halved.split([5], "ep") is None


# backoff ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (201, Verdict.DELIVERED),
        (None, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (408, Verdict.RETRY),
        (429, Verdict.RETRY),
        (400, Verdict.PARK),
        (422, Verdict.PARK),
        (413, Verdict.TOO_LARGE),
        (401, Verdict.HALT),
        (403, Verdict.HALT),
        (404, Verdict.HALT),
        (308, Verdict.HALT),
    ],
)
def test_status_verdicts(status: int | None, verdict: Verdict) -> None:
    assert classify(status) is verdict


def test_backoff_grows_exponentially_with_full_jitter_up_to_the_cap() -> None:
    policy = Backoff(base=1.0, cap=60.0)
    assert [policy.delay(n, lambda: 1.0) for n in (1, 2, 3, 4, 7, 8, 500)] == [
        1.0,
        2.0,
        4.0,
        8.0,
        60.0,
        60.0,
        60.0,
    ]
    rng = random.Random(7)
    draws = [policy.delay(5, rng.random) for _ in range(200)]
    assert 0.0 <= min(draws) < 2.0 and 14.0 < max(draws) <= 16.0


def test_retry_after_wins_over_jitter_and_is_bounded() -> None:
    policy = Backoff(base=1.0, cap=60.0, max_retry_after=100.0)
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert policy.decide(429, 1, lambda: 0.0, "7", now).delay == 7.0
    assert policy.decide(503, 1, lambda: 0.0, "100000", now).delay == 100.0
    date = "Fri, 27 Nov 2026 10:00:30 GMT"
    assert parse_retry_after(date, now) == 30.0
    assert parse_retry_after("soon", now) is None
    assert policy.decide(503, 3, lambda: 0.5, "garbage", now).delay == 2.0
    assert policy.decide(400, 1, lambda: 0.5, None, now).verdict is Verdict.PARK


def test_decoded_record_round_trips_through_msgspec() -> None:
    line = to_line(_row(_visit()), "anonymous")
    assert isinstance(msgspec.json.decode(line or b""), dict)


def test_batch_id_names_what_the_batch_holds_so_a_restored_database_gets_new_ids() -> None:
    before = StreamRows([11, 12, 13], b'{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n')
    after_restore = StreamRows([11, 12, 13], b'{"id":"x"}\n{"id":"y"}\n{"id":"z"}\n')
    first = StreamCursor("events", 10).plan(before, "ep")
    again = StreamCursor("events", 10).plan(before, "ep")
    restored = StreamCursor("events", 10).plan(after_restore, "ep")
    assert first.in_flight is not None and again.in_flight is not None
    assert restored.in_flight is not None
    assert first.in_flight.batch == again.in_flight.batch
    assert first.in_flight.batch != restored.in_flight.batch
    assert first.in_flight.batch.startswith("events-ep-11-13-")
