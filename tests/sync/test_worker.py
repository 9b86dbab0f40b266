"""The sync worker against real receivers on loopback, with and without injected faults."""

from __future__ import annotations

import gzip
import random
import re
import socket
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestServer

from hub.client.events import Visit, utc_now
from hub.store import Store
from hub.sync import tables
from hub.sync.worker import SyncOptions, SyncWorker
from tests.sync.conftest import (
    FAST,
    SITE,
    Faults,
    ingest,
    mixed_events,
    received,
    receiver_app,
    scan_bodies,
    settings,
    start_worker,
    wait_for,
)


def _stored_ids(store: Store) -> list[str]:
    with store.read() as conn:
        return [r[0] for r in conn.execute("SELECT id FROM events ORDER BY seq")]


async def test_every_event_arrives_once_in_cursor_order_at_the_receiver(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, faults, data = running_receiver
    events = mixed_events(240, utc_now() - timedelta(hours=1), random.Random(1))
    await ingest(store, events)
    worker = start_worker()
    await worker.start(store, settings(str(server.make_url("/batches"))))
    worker.launch()
    try:
        await wait_for(lambda: worker.status.backlog == 0 and len(received(data)) == 240)
        assert [r["id"] for r in received(data)] == _stored_ids(store)
        assert worker.status.sent_batches == len(set(faults.batch_ids)) == 5  # 50 per batch
        assert worker.status.last_success is not None and worker.status.last_error is None
        # new events keep flowing
        more = mixed_events(30, utc_now(), random.Random(2))
        await ingest(store, more)
        await wait_for(lambda: len(received(data)) == 270)
    finally:
        await worker.stop()
    assert [r["id"] for r in received(data)] == _stored_ids(store)
    assert {r["site"] for r in received(data)} == {SITE}


async def test_default_mode_sends_no_pseudonym_and_no_visitor_identifier(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, faults, data = running_receiver
    events = mixed_events(300, utc_now() - timedelta(hours=2), random.Random(3))
    pseudonyms = {e.visitor for e in events if isinstance(e, Visit)}
    assert len(pseudonyms) == 100
    await ingest(store, events)
    worker = start_worker()
    await worker.start(store, settings(str(server.make_url("/"))))
    await worker.drain()
    sent = scan_bodies(faults.bodies)
    assert sent.count(b"\n") == 300
    for pseudonym in pseudonyms:
        assert pseudonym.encode() not in sent
    assert b"visitor" not in sent
    # no Bluetooth-address-shaped value either
    assert not re.search(rb"([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}", sent)
    visits = [r for r in received(data) if r["type"] == "visit"]
    assert len(visits) == 100 and all("dwell_s" in v and "zone" in v for v in visits)
    await worker.stop()


async def test_pseudonymous_mode_is_an_opt_in_that_keeps_pseudonyms(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, _, data = running_receiver
    events = mixed_events(30, utc_now(), random.Random(4))
    await ingest(store, events)
    worker = start_worker()
    await worker.start(store, settings(str(server.make_url("/")), privacy_mode="pseudonymous"))
    await worker.drain()
    await worker.stop()
    sent = {r["visitor"] for r in received(data) if r["type"] == "visit"}
    assert sent == {e.visitor for e in events if isinstance(e, Visit)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_faults_outage_timeouts_drops_and_429_lose_nothing_and_store_nothing_twice(
    store: Store, tmp_path: Path
) -> None:
    events = mixed_events(600, utc_now() - timedelta(hours=3), random.Random(5))
    await ingest(store, events)
    port = _free_port()
    worker = start_worker(
        SyncOptions(
            max_count=40,
            backoff=FAST.backoff,
            timeout_s=0.3,
            poll_s=0.02,
            housekeeping_s=3600,
            heartbeat_s=0.05,
        )
    )
    await worker.start(store, settings(f"http://127.0.0.1:{port}/ingest"))
    worker.launch()
    data = tmp_path / "cloud"
    faults = Faults(p_error=0.3, p_timeout=0.1, p_drop_after_store=0.1, p_429=0.05, stall_s=0.6)
    server = TestServer(receiver_app(data, faults), host="127.0.0.1", port=port)
    try:
        # the receiver is down: the hub notices, keeps everything and backs off
        await wait_for(lambda: worker.status.failures >= 3)
        assert "cannot connect" in (worker.status.last_error or "")
        assert worker.status.backlog == 600 and worker.status.next_try is not None
        await server.start_server()  # the outage ends
        await wait_for(lambda: worker.status.backlog == 0, timeout=60)
    finally:
        await worker.stop()
        await server.close()
    got = [r["id"] for r in received(data)]
    assert len(got) == len(set(got)) == 600  # exactly once by id
    assert got == _stored_ids(store)  # in cursor order
    # the faults really happened, and retries reused batch ids
    for kind in ("503", "timeout", "drop", "429"):
        assert kind in faults.answers, faults.answers
    assert len(faults.batch_ids) > len(set(faults.batch_ids)) == 15


async def test_wrong_secret_is_refused_and_reported_then_fixed_by_a_restart(
    store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "cloud"
    server = TestServer(receiver_app(data, secret="the-real-one"), host="127.0.0.1")
    await server.start_server()
    try:
        await ingest(store, mixed_events(10, utc_now(), random.Random(6)))
        worker = start_worker()
        await worker.start(store, settings(str(server.make_url("/"))))
        worker.launch()
        await wait_for(lambda: worker.status.halted)
        await worker.stop()
        error = worker.status.last_error or ""
        assert "401" in error and "shared secret" in error
        assert not worker.status.healthy and worker.status.backlog == 10
        assert received(data) == []
        fixed = start_worker()
        await fixed.start(store, settings(str(server.make_url("/")), cloud_secret="the-real-one"))
        await fixed.drain()
        await fixed.stop()
        assert len(received(data)) == 10 and fixed.status.healthy
    finally:
        await server.close()


async def test_a_refused_batch_is_parked_and_the_rest_goes_on(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, faults, data = running_receiver
    events = mixed_events(150, utc_now(), random.Random(7))
    poison = events[60].id
    faults.status_for = lambda body: 422 if poison.encode() in gzip.decompress(body) else None
    await ingest(store, events)
    worker = start_worker()
    await worker.start(store, settings(str(server.make_url("/"))))
    await worker.drain()
    assert worker.status.parked == 1 and worker.status.backlog == 0
    assert "parked" in (worker.status.last_error or "") and "422" in (
        worker.status.last_error or ""
    )
    assert len(received(data)) == 100
    with store.read() as conn:
        (first, last, status) = conn.execute(
            "SELECT first, last, status FROM sync_parked"
        ).fetchone()
    assert (first, last, status) == (51, 100, 422)
    # retention never deletes a parked batch's events
    await worker.housekeeping()
    await worker.stop()
    assert worker.status.parked == 1


async def test_a_batch_too_large_for_the_receiver_is_split(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, faults, data = running_receiver
    faults.status_for = lambda body: 413 if gzip.decompress(body).count(b"\n") > 12 else None
    events = mixed_events(100, utc_now(), random.Random(8))
    await ingest(store, events)
    worker = start_worker()
    await worker.start(store, settings(str(server.make_url("/"))))
    await worker.drain()
    await worker.stop()
    got = [r["id"] for r in received(data)]
    assert got == _stored_ids(store)
    assert worker.status.parked == 0


async def test_a_retry_after_restart_reuses_the_batch_id(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, faults, data = running_receiver
    faults.status_for = lambda body: 503
    await ingest(store, mixed_events(120, utc_now(), random.Random(9)))
    first = start_worker()
    await first.start(store, settings(str(server.make_url("/"))))
    await first.drain()
    await first.stop()
    await ingest(store, mixed_events(10, utc_now(), random.Random(10)))  # new events meanwhile
    faults.status_for = lambda body: None
    second = start_worker()
    await second.start(store, settings(str(server.make_url("/"))))
    await second.drain()
    await second.stop()
    assert faults.batch_ids[0] == faults.batch_ids[1]
    assert len(received(data)) == 130
    with store.read() as conn:
        assert tables.load_cursor(conn, "events").in_flight is None


async def test_sync_now_request_wakes_a_waiting_worker(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, faults, data = running_receiver
    faults.status_for = lambda body: 503
    slow = SyncOptions(
        backoff=FAST.backoff.__class__(base=600, cap=600), poll_s=0.02, housekeeping_s=3600
    )
    await ingest(store, mixed_events(5, utc_now(), random.Random(11)))
    worker = SyncWorker(slow, rand=lambda: 1.0)
    await worker.start(store, settings(str(server.make_url("/"))))
    worker.launch()
    try:
        await wait_for(lambda: worker.status.failures == 1)
        faults.status_for = lambda body: None
        await store.run_write(lambda c: tables.request_sync(c, "now"))
        await wait_for(lambda: len(received(data)) == 5, timeout=5)
    finally:
        await worker.stop()


async def test_sync_off_sends_nothing_and_reports_disabled(store: Store) -> None:
    await ingest(store, mixed_events(5, utc_now(), random.Random(12)))
    worker = start_worker()
    await worker.start(store, settings(None))
    worker.launch()
    await worker.stop()
    assert not worker.status.enabled and worker.status.healthy and worker.status.backlog == 0


async def test_parked_batches_go_again_on_request_once_the_receiver_is_fixed(
    store: Store, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, faults, data = running_receiver
    events = mixed_events(120, utc_now(), random.Random(13))
    poison = events[10].id
    faults.status_for = lambda body: 422 if poison.encode() in gzip.decompress(body) else None
    await ingest(store, events)
    worker = start_worker()
    await worker.start(store, settings(str(server.make_url("/"))))
    worker.launch()
    try:
        await wait_for(lambda: worker.status.backlog == 0 and worker.status.parked == 1)
        assert len(received(data)) == 70
        await store.run_write(lambda c: tables.request_sync(c, "now", parked=True))
        await wait_for(lambda: worker.status.parked == 1 and len(faults.batch_ids) == 4)
        assert worker.status.parked == 1  # still refused: stays parked, with the new answer
        faults.status_for = lambda body: None  # the receiver is fixed
        await store.run_write(lambda c: tables.request_sync(c, "now", parked=True))
        await wait_for(lambda: worker.status.parked == 0)
    finally:
        await worker.stop()
    got = [r["id"] for r in received(data)]
    assert sorted(got) == sorted(_stored_ids(store)) and len(set(got)) == 120
    assert faults.batch_ids[0] == faults.batch_ids[-1]  # the same batch id, sent again
