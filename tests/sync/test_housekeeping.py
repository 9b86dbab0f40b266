"""Privacy and disk chores: flows before purge, purge of pseudonyms, retention, budget."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from aiohttp.test_utils import TestServer

from hub.client.events import Event, Visit, utc_now
from hub.store import Store
from hub.sync.worker import SyncOptions
from tests.sync.conftest import (
    FAST,
    Faults,
    ingest,
    mixed_events,
    received,
    scan_bodies,
    settings,
    start_worker,
    visit,
)

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
OLD_DAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _walks(prefix: str, people: int, zones: list[str], start: datetime) -> list[Event]:
    out: list[Event] = []
    for n in range(people):
        for i, zone in enumerate(zones):
            out.append(visit(f"{prefix}{n:014x}", zone, start + timedelta(minutes=4 * i + n)))
    return out


def _visits(store: Store) -> list[tuple[str | None, dict[str, object]]]:
    with store.read() as conn:
        rows = conn.execute("SELECT visitor, body FROM events WHERE type = 'visit' ORDER BY seq")
        return [(v, json.loads(b)) for v, b in rows]


async def test_flows_are_counted_before_pseudonyms_are_purged_from_column_and_body(
    store: Store,
) -> None:
    old = _walks("aa", 6, ["hall", "room-1"], OLD_DAY) + _walks(
        "bb", 3, ["hall", "room-2"], OLD_DAY
    )
    recent = _walks("cc", 2, ["hall", "room-1"], NOW - timedelta(hours=2))
    await ingest(store, old + recent)
    worker = start_worker(clock=lambda: NOW)
    await worker.start(store, settings(None))
    await worker.housekeeping()
    await worker.stop()
    rows = _visits(store)
    purged = rows[: len(old)]
    kept = rows[len(old) :]
    assert all(v is None and b["visitor"] is None for v, b in purged)
    assert all(v is not None and b["visitor"] == v for v, b in kept)
    assert worker.status.pseudonyms_purged == len(old)
    with store.read() as conn:
        flows = conn.execute(
            "SELECT day, hour, from_zone, to_zone, count, visitors FROM sync_flows"
        )
        assert flows.fetchall() == [("2026-11-24", "2026-11-24T10:00:00Z", "hall", "room-1", 6, 6)]
        day = conn.execute("SELECT visits, kept, suppressed FROM sync_flow_days").fetchall()
        assert day == [(18, 1, 1)]
    # the bytes are gone from the file too, not only from queries
    with sqlite3.connect(store.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = store.path.read_bytes()
    for event in old:
        assert isinstance(event, Visit)
        assert event.visitor.encode() not in raw
    assert b"cc" + b"0" * 13 in raw  # recent pseudonyms are still there


async def test_pseudonyms_of_a_day_not_yet_counted_wait_for_its_flows(store: Store) -> None:
    # Retention of one hour, but today's flows are counted only after midnight (+ grace).
    morning = NOW.replace(hour=1)
    await ingest(store, _walks("dd", 5, ["a", "b"], morning))
    worker = start_worker(clock=lambda: NOW)
    await worker.start(store, settings(None, pseudonym_retention_hours=1.0))
    await worker.housekeeping()
    assert all(v is not None for v, _ in _visits(store))
    worker._clock = lambda: NOW + timedelta(days=1)  # the next day, after the grace
    await worker.housekeeping()
    await worker.stop()
    assert all(v is None for v, _ in _visits(store))
    with store.read() as conn:
        assert conn.execute("SELECT count(*) FROM sync_flows").fetchone()[0] == 1


async def test_flows_reach_the_receiver_as_their_own_records_without_cells_under_k(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, faults, data = running_receiver
    # a real clock: the receiver checks the batch timestamps against its own
    old_day = (utc_now() - timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    day, hour = old_day.strftime("%Y-%m-%d"), old_day.strftime("%Y-%m-%dT%H:00:00Z")
    old = _walks("ee", 5, ["hall", "room-1"], old_day) + _walks(
        "ff", 4, ["hall", "room-2"], old_day
    )
    await ingest(store, old)
    worker = start_worker(clock=utc_now)
    await worker.start(store, settings(str(server.make_url("/"))))
    await worker.housekeeping()
    await worker.drain()
    await worker.stop()
    flows = [r for r in received(data) if r["type"] == "flow"]
    assert flows == [
        {
            "type": "flow",
            "id": f"flow-musee-test-{hour}-hall-room-1",
            "day": day,
            "hour": hour,
            "from": "hall",
            "to": "room-1",
            "count": 5,
            "visitors": 5,
            "site": "musee-test",
        }
    ]
    sent = scan_bodies(faults.bodies)
    assert b'"type":"flow"' in sent and b'"to":"room-2"' not in sent  # 4 < k = 5
    for event in old:
        assert isinstance(event, Visit)
        assert event.visitor.encode() not in sent


async def test_retention_deletes_synced_events_only(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, _, _ = running_receiver
    await ingest(store, mixed_events(100, utc_now() - timedelta(days=40), random.Random(1)))
    worker = start_worker(clock=utc_now)
    await worker.start(store, settings(str(server.make_url("/")), event_retention_days=30))
    await worker.drain(max_batches=1)  # 50 of 100 synced
    await worker.housekeeping()
    await worker.stop()
    with store.read() as conn:
        left = [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
    assert left == list(range(51, 101))
    assert worker.status.events_deleted == 50 and worker.status.backlog == 50


async def test_disk_budget_drops_oldest_synced_events_and_keeps_unsynced(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, _, _ = running_receiver
    await ingest(store, mixed_events(400, utc_now() - timedelta(days=1), random.Random(2)))
    options = SyncOptions(max_count=100, backoff=FAST.backoff, delete_chunk=50)
    worker = start_worker(options, clock=utc_now)
    await worker.start(store, settings(str(server.make_url("/")), disk_budget_mb=0))
    await worker.drain(max_batches=2)  # 200 synced, 200 waiting
    await worker.housekeeping()
    await worker.stop()
    with store.read() as conn:
        left = [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
    assert left == list(range(201, 401))  # every synced one went, every unsynced one stayed
    assert worker.status.budget_exceeded
    assert worker.status.disk_used_bytes > worker.status.disk_budget_bytes == 0


async def test_with_sync_off_retention_applies_to_every_event(store: Store) -> None:
    await ingest(store, mixed_events(30, NOW - timedelta(days=40), random.Random(3)))
    await ingest(store, mixed_events(10, NOW - timedelta(days=1), random.Random(4)))
    worker = start_worker(clock=lambda: NOW)
    await worker.start(store, settings(None))
    await worker.housekeeping()
    await worker.stop()
    with store.read() as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 10
    assert not worker.status.budget_exceeded


async def test_flows_are_counted_in_utc_hours_whatever_offset_devices_send(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    start = OLD_DAY.astimezone(paris)  # 11:00+01:00 is 10:00 UTC
    await ingest(store, _walks("ab", 5, ["hall", "room-1"], start))
    worker = start_worker(clock=lambda: NOW)
    await worker.start(store, settings(None))
    await worker.housekeeping()
    await worker.stop()
    with store.read() as conn:
        hours = [r[0] for r in conn.execute("SELECT hour FROM sync_flows")]
    assert hours == ["2026-11-24T10:00:00Z"]
