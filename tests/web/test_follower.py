"""The rollup follower: counts committed events after commit, exactly once, in chunks."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.api.events import event_row
from hub.client.events import Event, Interaction, Occupancy, Visit, new_event_id
from hub.devices.registry import Device
from hub.store import Store
from hub.store.migrations import apply_migrations
from hub.web.follower import BUSY_REST, RollupFollower
from hub.web.rollup_store import rollup_events
from hub.web.schema import COMPONENT, WEB_MIGRATIONS
from tests.web.conftest import wait_for

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TABLES = ("web_zone_hour", "web_dwell", "web_kiosk_artwork", "web_kiosk_language",
          "web_flow", "web_day")
DEVICE = Device(id="k1", kind="kiosk", name="k1", zone="hall", created="", last_seen=None,
                version=None, content_version=None, status=None, revoked=None)


def visit(visitor: str, zone: str, start_min: float, dwell_min: float) -> Visit:
    start = T0 + timedelta(minutes=start_min)
    end = start + timedelta(minutes=dwell_min)
    return Visit(id=new_event_id(), ts=end, zone=zone, visitor=visitor, start=start, end=end,
                 dwell_s=dwell_min * 60, samples=10)


def gallery(visitors: int = 12) -> list[Event]:
    events: list[Event] = []
    for i in range(visitors):
        v = f"{i:016x}"
        events += [visit(v, "hall", i, 3), visit(v, "room-2", i + 4, 12),
                   visit(v, "hall", i + 20, 1)]
    events.append(Occupancy(id=new_event_id(), ts=T0, zone="hall", start=T0,
                            end=T0 + timedelta(minutes=1), count=3, peak=7))
    events += [Interaction(id=new_event_id(), ts=T0, session="ab12cd34", action=action,
                           artwork=art, language="fr")
               for action, art in (("session_start", None), ("view_artwork", "halo"),
                                   ("zoom", "halo"))]
    return events


def tables(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted(conn.execute(f"SELECT * FROM {t}")) for t in TABLES}  # noqa: S608


def bulk(tmp_path: Path, events: Sequence[Event]) -> dict[str, list[tuple[object, ...]]]:
    """The rollups of all the events counted as one group (the reference)."""
    conn = sqlite3.connect(tmp_path / "bulk.db", isolation_level=None)
    apply_migrations(conn, COMPONENT, WEB_MIGRATIONS)
    rollup_events(conn, [(e, None) for e in events], UTC)
    out = tables(conn)
    conn.close()
    return out


async def open_store(path: Path) -> Store:
    store = Store(path)
    await store.start()
    await store.run_write(lambda c: apply_migrations(c, COMPONENT, WEB_MIGRATIONS))
    return store


async def ingest(store: Store, events: Sequence[Event], size: int = 10) -> None:
    rows = [event_row(e, DEVICE, "site") for e in events]
    for i in range(0, len(rows), size):
        await store.ingest(rows[i : i + size])


def read_tables(store: Store) -> dict[str, list[tuple[object, ...]]]:
    with store.read() as conn:
        return tables(conn)


async def test_small_chunks_count_like_one_group_and_a_restart_counts_nothing_twice(
    tmp_path: Path,
) -> None:
    events = gallery()
    expected = bulk(tmp_path, events)
    store = await open_store(tmp_path / "hub.db")
    try:
        await ingest(store, events)
        await ingest(store, events)  # duplicates: never stored, never counted
        follower = RollupFollower(store, UTC, chunk=4, interval_s=60)
        await follower.start()
        assert await follower.catch_up() == len(events)
        assert read_tables(store) == expected
        assert expected["web_flow"] and expected["web_day"] == [("2026-11-27", 12)]
        await follower.stop()
        again = RollupFollower(store, UTC, chunk=4, interval_s=60)
        await again.start()
        assert await again.catch_up() == 0
        await again.stop()
        assert read_tables(store) == expected
    finally:
        await store.close()


async def test_flow_memory_survives_a_restart_between_a_visitors_visits(tmp_path: Path) -> None:
    events = gallery(visitors=6)
    visits = [e for e in events if isinstance(e, Visit)]
    first = [e for e in visits if e.zone == "hall" and e.start < T0 + timedelta(minutes=10)]
    rest = [e for e in events if e not in first]
    expected = bulk(tmp_path, first + rest)
    path = tmp_path / "hub.db"
    store = await open_store(path)
    follower = RollupFollower(store, UTC, interval_s=60)
    await follower.start()
    await ingest(store, first)
    await follower.catch_up()
    await follower.stop()
    await store.close()
    store = await open_store(path)  # a new process: the memory comes from the table
    try:
        follower = RollupFollower(store, UTC, interval_s=60)
        await follower.start()
        await ingest(store, rest)
        await follower.catch_up()
        await follower.stop()
        got = read_tables(store)
        assert got["web_flow"] == expected["web_flow"]
        assert got == expected
    finally:
        await store.close()


async def test_the_follower_counts_in_the_background_within_its_interval(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "hub.db")
    follower = RollupFollower(store, UTC, interval_s=0.05, chunk=4)  # paced, chunk by chunk
    try:
        await follower.start()
        await ingest(store, gallery(visitors=3))

        def counted() -> bool:  # every stored event, chunk after chunk, no catch_up asked
            with store.read() as conn:
                (cursor,) = conn.execute("SELECT seq FROM web_rollup_cursor").fetchone()
                (last,) = conn.execute("SELECT max(seq) FROM events").fetchone()
            return bool(cursor == last)

        await wait_for(counted, timeout=10)
        assert read_tables(store)["web_day"] == [("2026-11-27", 3)]
    finally:
        await follower.stop()
        await store.close()


async def test_the_background_loop_rests_longer_while_batches_wait_for_the_store(
    tmp_path: Path,
) -> None:
    store = await open_store(tmp_path / "hub.db")
    follower = RollupFollower(store, UTC, interval_s=60)
    held, release = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:  # another write holds the store
        held.set()
        release.wait(10)

    try:
        await ingest(store, gallery(visitors=1))  # the ingest writer runs
        assert follower.rest_s(0.01) == 0.01
        holding = asyncio.create_task(store.run_write(hold))
        await asyncio.to_thread(held.wait, 10)
        waiting = asyncio.create_task(ingest(store, gallery(visitors=1)))
        await wait_for(lambda: store.writes_waiting > 0, timeout=10)
        assert follower.rest_s(0.01) == 0.01 * BUSY_REST
        release.set()
        await holding
        await waiting
        assert store.writes_waiting == 0
        assert follower.rest_s(0.01) == 0.01
    finally:
        release.set()
        await store.close()


async def test_the_background_loop_waits_while_devices_send_heavily_then_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hub.store.store as store_module

    monkeypatch.setattr(store_module, "INGEST_WINDOW_S", 2.0)
    store = await open_store(tmp_path / "hub.db")
    events = gallery(visitors=3)  # 13 events in one batch
    # "heavy" from 5 events/s: these 13 within two seconds are 6.5/s
    follower = RollupFollower(store, UTC, interval_s=0.02, heavy_ingest_per_s=5)
    try:
        await follower.start()
        await ingest(store, events, size=len(events))
        assert store.recent_ingest_per_s == 6.5
        await asyncio.sleep(0.3)  # fifteen turns of the loop, all within the window
        assert follower.cursor == 0 and read_tables(store)["web_day"] == []
        await wait_for(lambda: follower.counted == len(events), timeout=10)
        assert store.recent_ingest_per_s < 5  # it counted once the batch left the window
        assert read_tables(store) == bulk(tmp_path, events)
    finally:
        await follower.stop()
        await store.close()


async def test_heavy_ingest_stops_a_paced_backlog_but_not_a_page_nor_for_ever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hub.store.store as store_module

    monkeypatch.setattr(store_module, "INGEST_WINDOW_S", 60.0)  # heavy throughout the test
    store = await open_store(tmp_path / "hub.db")
    events = gallery(visitors=3)  # 13 events: chunks of 4, 4, 4 and 1
    follower = RollupFollower(store, UTC, interval_s=60, chunk=4, heavy_ingest_per_s=0.1)
    try:
        await follower.start()
        await ingest(store, events)
        assert store.recent_ingest_per_s >= 0.1  # 13 events in the last minute
        # the background loop: one chunk, then it leaves the CPU to ingest
        assert await follower.catch_up(paced=True) == 4
        assert await follower.catch_up(paced=True) == 4
        assert await follower.catch_up() == 5  # a page counts everything at once
        assert read_tables(store) == bulk(tmp_path, events)
        assert follower.defers()  # complete just now: behind for less than max_defer_s
        follower.max_defer_s = 0.0  # behind for longer than it waits: it counts all the same
        assert not follower.defers()
    finally:
        await follower.stop()
        await store.close()


async def test_a_page_counts_at_once_while_the_background_loop_rests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await open_store(tmp_path / "hub.db")
    follower = RollupFollower(store, UTC, interval_s=60, chunk=4)
    rests: list[float] = []

    def rest_s(chunk_s: float) -> float:  # a rest far longer than the test
        rests.append(chunk_s)
        return 60.0

    monkeypatch.setattr(follower, "rest_s", rest_s)
    background: asyncio.Task[int] | None = None
    try:
        await follower.start()
        events = gallery(visitors=3)  # 13 events: chunks of 4, 4, 4 and 1
        await ingest(store, events)
        background = asyncio.create_task(follower.catch_up(paced=True))
        await wait_for(lambda: len(rests) == 1, timeout=10)  # resting after its first chunk
        assert await asyncio.wait_for(follower.catch_up(), 10) == 9  # the page: the rest
        assert read_tables(store) == bulk(tmp_path, events)
    finally:
        if background is not None:
            background.cancel()
        await follower.stop()
        await store.close()


async def test_purged_visits_count_in_zone_charts_but_not_as_visitors(tmp_path: Path) -> None:
    kept = visit("00000000000000aa", "hall", 0, 3)
    purged = [visit(f"{i:016x}", "hall", 1, 3) for i in range(3)]
    store = await open_store(tmp_path / "hub.db")
    try:
        await ingest(store, [kept, *purged])

        def purge(conn: sqlite3.Connection) -> None:  # as the privacy chore does
            conn.execute(
                "UPDATE events SET visitor = NULL, body = json_replace(body, '$.visitor', NULL) "
                "WHERE visitor != ?", (kept.visitor,))

        await store.run_write(purge)
        follower = RollupFollower(store, UTC, interval_s=60)
        await follower.start()
        assert await follower.catch_up() == 4
        await follower.stop()
        got = read_tables(store)
        assert [(r[2], r[3]) for r in got["web_zone_hour"]] == [("hall", 4)]
        assert got["web_dwell"] == [("2026-11-27", "hall", 4, 4)]  # 2-5 min
        assert got["web_day"] == [("2026-11-27", 1)]
    finally:
        await store.close()


async def test_a_log_emptied_by_retention_is_counted_again_from_its_start(
    tmp_path: Path,
) -> None:
    store = await open_store(tmp_path / "hub.db")
    follower = RollupFollower(store, UTC, interval_s=60)
    try:
        await follower.start()
        await ingest(store, [visit(f"{i:016x}", "hall", i, 1) for i in range(5)])
        await follower.catch_up()
        await store.run_write(lambda c: c.execute("DELETE FROM events"))
        await ingest(store, [visit("00000000000000ff", "room-2", 0, 1)])  # seq 1 again
        assert await follower.catch_up() == 1
        zones = [r[2] for r in read_tables(store)["web_zone_hour"]]
        assert sorted(zones) == ["hall", "room-2"]
    finally:
        await follower.stop()
        await store.close()


def test_upgrade_starts_the_cursor_after_events_the_hook_counted(tmp_path: Path) -> None:
    from hub.store.schema import CORE_MIGRATIONS

    for name, counted in (("counted", True), ("new", False)):
        conn = sqlite3.connect(tmp_path / f"{name}.db", isolation_level=None)
        apply_migrations(conn, "core", CORE_MIGRATIONS)
        apply_migrations(conn, COMPONENT, WEB_MIGRATIONS[:1])
        conn.executemany(
            "INSERT INTO events(id, type, ts, received, device_id, site, body) "
            "VALUES (?, 'visit', '', '', 'd', 's', '{}')", [(str(i),) for i in range(3)])
        if counted:
            conn.execute("INSERT INTO web_zone_hour VALUES ('2026-11-27', 10, 'hall', 3, 9, 0)")
            conn.execute("INSERT INTO web_flow_last VALUES ('ab', 'hall', 1.0, 2.0, '2026-11-27')")
        apply_migrations(conn, COMPONENT, WEB_MIGRATIONS)
        cursor = conn.execute("SELECT seq FROM web_rollup_cursor").fetchone()[0]
        assert cursor == (3 if counted else 0), name
        memory = conn.execute("SELECT visitor, zone, day FROM web_flow_memory").fetchall()
        assert memory == ([("ab", "hall", "2026-11-27")] if counted else [])
        conn.close()


async def test_stopping_counts_what_was_committed_before(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "hub.db")
    try:
        follower = RollupFollower(store, UTC, interval_s=60)  # never runs by itself here
        await follower.start()
        await ingest(store, gallery(visitors=5))
        assert read_tables(store)["web_day"] == []
        await follower.stop()
        assert read_tables(store)["web_day"] == [("2026-11-27", 5)]
        with store.read() as conn:
            cursor = conn.execute("SELECT seq FROM web_rollup_cursor").fetchone()[0]
            assert cursor == conn.execute("SELECT max(seq) FROM events").fetchone()[0]
    finally:
        await store.close()
