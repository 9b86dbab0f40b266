from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cimaise.errors import StoreUnavailableError
from hub.client.events import encode_event
from hub.store import EventRow, Store, rfc3339
from hub.store.migrations import apply_migrations, current_version
from tests.client.factories import interaction, visit


def row(event: object, device: str = "dev-1") -> EventRow:
    from hub.client.events import Interaction, Visit

    assert isinstance(event, Interaction | Visit)
    return EventRow(
        id=event.id,
        type=event.__struct_config__.tag,  # type: ignore[arg-type]
        ts=rfc3339(event.ts),
        device_id=device,
        site="test",
        zone=getattr(event, "zone", None),
        visitor=getattr(event, "visitor", None),
        body=encode_event(event),
    )


class Commits:
    """A commit observer that records each committed group as (jobs, rows)."""

    def __init__(self) -> None:
        self.groups: list[tuple[int, int]] = []

    def committed(self, jobs: int, rows: int, seconds: float) -> None:
        self.groups.append((jobs, rows))

    @property
    def jobs(self) -> list[int]:
        return [jobs for jobs, _ in self.groups]

    @property
    def rows(self) -> list[int]:
        return [rows for _, rows in self.groups]


async def test_repeated_batch_is_stored_once(tmp_path: Path) -> None:
    rows = [row(interaction()) for _ in range(10)]
    async with Store(tmp_path / "hub.db") as store:
        first = await store.ingest(rows)
        second = await store.ingest(rows)
        assert (first.accepted, first.duplicates) == (10, 0)
        assert (second.accepted, second.duplicates) == (0, 10)
        with store.read() as conn:
            assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 10
            stored = conn.execute("SELECT received, ts, body FROM events").fetchone()
        assert stored[0].endswith("Z") and stored[1].endswith("Z")


async def test_concurrent_ingests_share_commits_and_each_is_counted(tmp_path: Path) -> None:
    commits = Commits()
    batches = [[row(interaction()) for _ in range(20)] for _ in range(30)]
    async with Store(tmp_path / "hub.db", observer=commits) as store:
        commits.groups.clear()
        results = await asyncio.gather(*(store.ingest(b) for b in batches))
    assert all(r.accepted == 20 for r in results)
    assert sum(commits.rows) == 600
    assert len(commits.groups) < 30, "concurrent batches should share commits"


async def test_failing_write_rolls_back_alone(tmp_path: Path) -> None:
    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        raise ValueError("nope")

    async with Store(tmp_path / "hub.db") as store:
        results = await asyncio.gather(
            store.run_write(bad), store.ingest([row(interaction())]), return_exceptions=True
        )
        assert isinstance(results[0], ValueError)
        with store.read() as conn:
            assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
            assert (
                conn.execute("SELECT count(*) FROM sqlite_master WHERE name='half'").fetchone()[0]
                == 0
            )


async def test_full_disk_is_reported_and_nothing_half_stored(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db", max_bytes=200 * 1024) as store:
        ok = await store.ingest([row(interaction()) for _ in range(10)])
        assert ok.accepted == 10
        big = [row(visit()) for _ in range(3000)]
        with pytest.raises(StoreUnavailableError, match="full"):
            await store.ingest(big)
        assert store.last_error is not None
        with store.read() as conn:
            assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 10
        # the store still works for what fits
        assert (await store.ingest([row(interaction())])).accepted == 1
        assert store.last_error is None


async def test_migrations_apply_once_per_component(tmp_path: Path) -> None:
    calls: list[str] = []

    def m1(conn: sqlite3.Connection) -> None:
        calls.append("m1")
        conn.execute("CREATE TABLE sync_cursor (seq INTEGER)")

    def m2(conn: sqlite3.Connection) -> None:
        calls.append("m2")
        conn.execute("ALTER TABLE sync_cursor ADD COLUMN at TEXT")

    async with Store(tmp_path / "hub.db") as store:
        assert await store.run_write(lambda c: apply_migrations(c, "sync", [m1])) == 1
        assert await store.run_write(lambda c: apply_migrations(c, "sync", [m1, m2])) == 2
        assert await store.run_write(lambda c: apply_migrations(c, "sync", [m1, m2])) == 2
        with store.read() as conn:
            assert current_version(conn, "core") == 1
    assert calls == ["m1", "m2"]


async def test_reopened_store_keeps_events(tmp_path: Path) -> None:
    rows = [row(interaction()) for _ in range(4)]
    async with Store(tmp_path / "hub.db") as store:
        await store.ingest(rows)
    async with Store(tmp_path / "hub.db") as store:
        assert (await store.ingest(rows)).duplicates == 4
        assert store.size_bytes() > 0


async def test_corrupt_store_file_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    path.write_bytes(b"this is not an SQLite database, it is a shopping list" * 100)
    store = Store(path)
    with pytest.raises(StoreUnavailableError, match="not a database"):
        await store.start()
    await store.close()


@contextlib.asynccontextmanager
async def write_lock_held(store: Store) -> AsyncIterator[None]:
    """Inside, a ``run_write`` job holds SQLite's write lock: the ingest writer waits for it."""
    await store.start_ingest()
    busy, gate = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        busy.set()
        gate.wait(10)

    blocker = asyncio.ensure_future(store.run_write(hold))
    assert await asyncio.to_thread(busy.wait, 10)
    try:
        yield
    finally:
        gate.set()
        await asyncio.gather(blocker, return_exceptions=True)  # it shares the writes' fate


async def queued_together(store: Store, writes: list[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Run ``writes`` so that they reach the writer while it is busy: one group, one commit.

    The writes queue while the write lock is held and go in one group once it is free.
    """
    async with write_lock_held(store):
        tasks = [asyncio.ensure_future(w) for w in writes]
        deadline = asyncio.get_running_loop().time() + 10
        while store.writes_waiting < len(writes) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.001)
    return list(await asyncio.gather(*tasks, return_exceptions=True))


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    offset_s=st.integers(min_value=-86399, max_value=86399),
    whole_second=st.booleans(),
)
def test_rfc3339_is_utc_with_microseconds_for_any_offset(
    moment: datetime, offset_s: int, whole_second: bool
) -> None:
    if whole_second:
        moment = moment.replace(microsecond=0)
    local = moment.astimezone(timezone(timedelta(seconds=offset_s)))
    expected = moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert rfc3339(moment) == expected
    assert rfc3339(local) == expected


async def test_ingests_sharing_a_commit_count_each(tmp_path: Path) -> None:
    stored_before = [row(visit()) for _ in range(5)]
    shared = [row(interaction()) for _ in range(4)]  # sent by two devices at once
    repeated = row(visit())
    batches = [
        [*stored_before[:2], row(visit()), *shared],
        [row(interaction()) for _ in range(7)],
        [*shared, repeated, repeated],  # the same id twice within one batch
        [row(visit()) for _ in range(3)],
    ]
    commits = Commits()
    async with Store(tmp_path / "hub.db", observer=commits) as store:
        await store.ingest(stored_before)
        commits.groups.clear()
        results = await queued_together(store, [store.ingest(b) for b in batches])
        with store.read() as conn:
            in_db = {event_id for (event_id,) in conn.execute("SELECT id FROM events")}
    # every id counted once, whichever batch stored it first
    assert sum(r.accepted for r in results) == len(in_db) - 5 == 1 + 4 + 7 + 1 + 3
    assert [r.accepted + r.duplicates for r in results] == [len(b) for b in batches]
    assert results[0].duplicates >= 2 and results[2].duplicates >= 1
    assert in_db == {r.id for b in (stored_before, *batches) for r in b}
    # one commit: the batches queued behind the busy job share a group
    assert commits.jobs[-1] == len(batches)


async def test_write_failing_between_ingests_of_one_commit_rolls_back_alone(
    tmp_path: Path,
) -> None:
    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        raise ValueError("nope")

    sent = [[row(interaction())], [row(interaction()), row(visit())], [row(visit())]]
    async with Store(tmp_path / "hub.db") as store:
        results = await queued_together(
            store,
            [
                store.ingest(sent[0]),
                store.ingest(sent[1]),
                store.run_write(bad),
                store.ingest(sent[2]),
            ],
        )
        assert isinstance(results[2], ValueError)
        with store.read() as conn:
            ids = [i for (i,) in conn.execute("SELECT id FROM events ORDER BY seq")]
            assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name='half'").fetchall()
    assert ids == [r.id for batch in sent for r in batch]  # stored in the order taken


async def test_ingest_failing_on_its_own_rows_is_refused_alone_in_a_shared_commit(
    tmp_path: Path,
) -> None:
    good_before, good_after = [row(visit()), row(visit())], [row(interaction())]
    broken = [row(visit()), msgspec.structs.replace(row(visit()), site=None)]  # NOT NULL
    async with Store(tmp_path / "hub.db") as store:
        results = await queued_together(
            store, [store.ingest(good_before), store.ingest(broken), store.ingest(good_after)]
        )
        with store.read() as conn:
            ids = {i for (i,) in conn.execute("SELECT id FROM events")}
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert [r.accepted for r in (results[0], results[2])] == [2, 1]
    assert ids == {r.id for r in (*good_before, *good_after)}


async def test_full_disk_fails_every_ingest_of_the_shared_commit_and_stores_none(
    tmp_path: Path,
) -> None:
    async with Store(tmp_path / "hub.db", max_bytes=200 * 1024, max_group_rows=5000) as store:
        await store.ingest([row(interaction())])
        small, big = [row(interaction()) for _ in range(5)], [row(visit()) for _ in range(3000)]
        results = await queued_together(store, [store.ingest(small), store.ingest(big)])
        assert all(isinstance(r, StoreUnavailableError) for r in results), results
        assert "full" in str(results[0])
        with store.read() as conn:
            assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1


async def test_a_group_waits_for_as_many_writers_as_the_last_one_had(tmp_path: Path) -> None:
    # Devices answered by one commit send their next batches at about the same time:
    # the writer waits (up to group_wait_s) for as many as the last group had, also
    # after it has taken some of them at once.
    commits = Commits()
    async with Store(tmp_path / "hub.db", observer=commits, group_wait_s=2.0) as store:
        await queued_together(store, [store.ingest([row(visit())]) for _ in range(4)])
        assert commits.jobs[-1] == 4  # four batches: the next group waits for 4
        commits.groups.clear()

        async def later(delay: float) -> None:
            await asyncio.sleep(delay)
            await store.ingest([row(visit())])

        await asyncio.gather(later(0), later(0), later(0.1), later(0.2))
    assert commits.jobs == [4]


async def test_large_batches_keep_their_order_and_count_what_was_stored(tmp_path: Path) -> None:
    # batches over CHUNK_ROWS go in multi-row statements, then row by row for the rest
    from hub.store.ingest_writer import CHUNK_ROWS

    made = [row(visit()) for _ in range(150)]
    fresh = [row(interaction()) for _ in range(2 * CHUNK_ROWS)]
    batch = [*made[100:150], *fresh, made[120]]  # 20 known, 30 + 200 new, one repeated
    async with Store(tmp_path / "hub.db") as store:
        await store.ingest(made[:120])
        result = await store.ingest(batch)
        assert (result.accepted, result.duplicates) == (230, 21)
        with store.read() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM events ORDER BY seq")]
    assert ids == [r.id for r in [*made, *fresh]]


async def test_a_group_stops_short_of_max_group_rows(tmp_path: Path) -> None:
    # jobs queued behind a busy writer are taken up to the cap; the rest wait their turn
    commits = Commits()
    async with Store(tmp_path / "hub.db", observer=commits, max_group_rows=100) as store:
        batches = [[row(visit()) for _ in range(50)] for _ in range(40)]
        results = await queued_together(store, [store.ingest(b) for b in batches])
        with store.read() as conn:
            stored = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    assert all(not isinstance(r, BaseException) and r.accepted == 50 for r in results)
    assert stored == 2000 and sum(commits.rows) == 2000
    assert max(commits.rows) <= 100 and len(commits.rows) >= 20


def ingest_writer_pids() -> list[int]:
    """The ingest writer processes this process started."""
    import psutil  # type: ignore[import-untyped]

    return [
        child.pid
        for child in psutil.Process().children()
        if "hub.store.ingest_writer" in " ".join(child.cmdline())
    ]


async def test_a_killed_ingest_writer_fails_what_it_held_and_starts_again(
    tmp_path: Path,
) -> None:
    import os
    import signal

    first, held, later = [row(visit())], [row(interaction()), row(visit())], [row(visit())]
    async with Store(tmp_path / "hub.db") as store:
        assert (await store.ingest(first)).accepted == 1
        (pid,) = ingest_writer_pids()
        async with write_lock_held(store):  # the batch waits in the writer's socket
            pending = asyncio.ensure_future(store.ingest(held))
            while store.writes_waiting < 1:
                await asyncio.sleep(0.001)
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(StoreUnavailableError, match="writer stopped"):
                await asyncio.wait_for(pending, 10)
        # the next batch starts a new writer; the failed one, sent again, is stored once
        assert (await store.ingest(later)).accepted == 1
        (new_pid,) = ingest_writer_pids()
        assert new_pid != pid
        again = await store.ingest([*held, *first])
        assert (again.accepted, again.duplicates) == (2, 1)
        with store.read() as conn:
            ids = [i for (i,) in conn.execute("SELECT id FROM events ORDER BY seq")]
    assert ids == [r.id for r in (*first, *later, *held)]
    assert ingest_writer_pids() == []  # closing the store stopped its writer


async def test_journals_stay_in_memory_only_where_asked_not_for_the_stores_own_writes(
    tmp_path: Path,
) -> None:
    from hub.store.connection import connect

    # the ingest writer's groups are bounded; other writes (retention deletes) may be large
    asked = connect(tmp_path / "hub.db", journals_in_memory=True)
    assert asked.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    asked.close()
    async with Store(tmp_path / "hub.db") as store:
        on_its_thread = await store.run_write(
            lambda conn: conn.execute("PRAGMA temp_store").fetchone()[0]
        )
    assert on_its_thread == 0  # DEFAULT: the build's SQLITE_TEMP_STORE (files here)


def test_a_group_whose_begin_fails_answers_its_first_job(tmp_path: Path) -> None:
    import socket

    from hub.store.connection import connect
    from hub.store.ingest_protocol import HEADER, UNAVAILABLE, Ingest, from_writer
    from hub.store.ingest_writer import Channel, IngestWriter

    path = tmp_path / "hub.db"
    setup = connect(path)
    apply_migrations(setup, "core", [])
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    conn = sqlite3.connect(path, isolation_level=None, timeout=0.05)
    hub_end, writer_end = socket.socketpair()
    lock_end, writer_lock = socket.socketpair()
    writer = IngestWriter(
        conn, Channel(writer_end), writer_lock, max_group_rows=500, group_wait_s=0
    )
    values = list(msgspec.structs.astuple(row(visit())))
    writer._run_group(Ingest(7, 1, [*values[:3], None, *values[3:]]))
    (size,) = HEADER.unpack(hub_end.recv(HEADER.size))
    reply = from_writer.decode(hub_end.recv(size, socket.MSG_WAITALL))
    assert [(done.job, done.kind) for done in reply.jobs] == [(7, UNAVAILABLE)]
    assert reply.error is not None and "locked" in reply.error
    for closable in (holder, conn, setup, hub_end, writer_end, lock_end, writer_lock):
        closable.close()


async def test_ingest_works_with_descriptor_numbers_past_1023(tmp_path: Path) -> None:
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"at most {hard} open files here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = []
    try:
        while (fd := os.open(os.devnull, os.O_RDONLY)) < 1050:
            held.append(fd)
        held.append(fd)
        async with Store(tmp_path / "hub.db") as store:
            assert (await store.ingest([row(visit())])).accepted == 1
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
