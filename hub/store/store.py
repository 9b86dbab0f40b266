"""The store adapter: SQLite in WAL mode, group commit, reads that never block ingest.

Event ingest goes to a writer process of its own (``hub.store.ingest_writer``), which
commits concurrent batches in groups; a request is answered only after its commit.
Every other write (``run_write`` functions of every component) runs on a writer thread
here, which takes the jobs queued together in one transaction with a savepoint each and
commits once, holding SQLite's write lock while the ingest writer waits between groups.
A job that fails rolls back alone; a commit that fails (disk full, read-only, corrupt)
fails every job of its group with ``StoreUnavailableError`` and nothing of it is stored.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cimaise.errors import StoreUnavailableError
from hub.store.connection import connect, unavailable_reason
from hub.store.ingest_process import IngestProcess
from hub.store.ingest_protocol import GroupDone
from hub.store.migrations import apply_migrations
from hub.store.rows import EventRow, IngestResult
from hub.store.schema import CORE_MIGRATIONS

log = logging.getLogger(__name__)

T = TypeVar("T")

#: how far back ``Store.recent_ingest_per_s`` looks
INGEST_WINDOW_S = 1.0


class CommitObserver(Protocol):
    """Told about every committed group (metrics): on the event loop for ingest groups, on
    the store's thread for its other writes."""

    def committed(self, jobs: int, rows: int, seconds: float) -> None: ...


@dataclass
class _Job:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    fn: Callable[[sqlite3.Connection], Any]
    result: Any = None
    error: BaseException | None = field(default=None)


_STOP = object()


def _settle(jobs: list[_Job]) -> None:
    for job in jobs:
        if job.future.done():  # the caller gave up
            continue
        if job.error is not None:
            job.future.set_exception(job.error)
        else:
            job.future.set_result(job.result)


def _deliver(jobs: list[_Job]) -> None:
    """Hand each job's result to its event loop: one wake-up per loop, not per job."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in jobs:
        by_loop.setdefault(job.loop, []).append(job)
    for loop, mine in by_loop.items():
        with contextlib.suppress(RuntimeError):  # loop already closed: nobody is waiting
            loop.call_soon_threadsafe(_settle, mine)


class Store:
    """The hub's SQLite store: ``async with Store(path) as store: ...``."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int | None = None,
        observer: CommitObserver | None = None,
        max_group_rows: int = 500,
        group_wait_s: float = 0.001,
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.observer = observer
        self.max_group_rows = max_group_rows
        self.group_wait_s = group_wait_s
        self.last_error: str | None = None
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ingest: IngestProcess | None = None
        self._ingest_starting = asyncio.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = True
        # (monotonic time, rows) of the ingest groups committed within INGEST_WINDOW_S
        self._recent_groups: collections.deque[tuple[float, int]] = collections.deque()

    # lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the write connection on its thread and bring the core schema up to date.

        The ingest writer process starts with the first ingest, or ``start_ingest``.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        opened: asyncio.Future[None] = loop.create_future()
        self._thread = threading.Thread(
            target=self._writer, args=(loop, opened), name="cimaise-store-writer", daemon=True
        )
        self._thread.start()
        try:
            await opened
        except BaseException:
            await asyncio.to_thread(self._thread.join)
            raise
        self._closed = False
        await self.run_write(lambda conn: apply_migrations(conn, "core", CORE_MIGRATIONS))

    async def start_ingest(self) -> None:
        """Start the ingest writer process now rather than with the first batch."""
        await self._ingest_process()

    async def close(self) -> None:
        """Answer the writes already sent, then close every connection."""
        self._closed = True
        async with self._ingest_starting:
            if self._ingest is not None:
                await self._ingest.stop()
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()

    async def __aenter__(self) -> Store:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # writes ----------------------------------------------------------------------------
    async def ingest(self, rows: Sequence[EventRow]) -> IngestResult:
        """Store new events (ignoring ids already stored); return after the commit."""
        if not rows:
            return IngestResult(0, 0)
        values: list[str | None] = []
        extend = values.extend
        for r in rows:
            # ingest_protocol.COLUMNS; the writer stamps ``received``
            extend(
                (r.id, r.type, r.ts, None, r.device_id, r.site, r.zone, r.visitor, r.body.decode())
            )
        process = await self._ingest_process()
        return await process.ingest(values, len(rows))

    async def run_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the write connection in one transaction, committed on return."""
        if self._thread is None or not self._thread.is_alive():
            raise StoreUnavailableError("the store is not running")
        loop = asyncio.get_running_loop()
        job = _Job(loop=loop, future=loop.create_future(), fn=fn)
        self._queue.put(job)
        result: T = await job.future
        return result

    async def _ingest_process(self) -> IngestProcess:
        """The running ingest writer, started (again) when there is none."""
        if not self.running:
            raise StoreUnavailableError("the store is not running")
        process = self._ingest
        if process is not None and process.alive:
            return process
        async with self._ingest_starting:
            if self._closed:
                raise StoreUnavailableError("the store is shutting down")
            if self._ingest is not None and not self._ingest.alive:
                await self._ingest.stop()  # gone: release its sockets
                self._ingest = None
            if self._ingest is None:
                try:
                    self._ingest = await IngestProcess.start(
                        self.path,
                        max_bytes=self.max_bytes,
                        max_group_rows=self.max_group_rows,
                        group_wait_s=self.group_wait_s,
                        on_group=self._ingested,
                    )
                except StoreUnavailableError as exc:
                    self.last_error = str(exc)
                    raise
            return self._ingest

    def _ingested(self, group: GroupDone) -> None:
        """A group of the ingest writer was committed (or failed): metrics and health."""
        if group.error is not None:
            self.last_error = group.error
            log.error("store cannot commit %d batches: %s", len(group.jobs), group.error)
            return
        # only a commit that stored events shows the disk takes them again
        if any(done.accepted for done in group.jobs):
            self.last_error = None
        if self.observer is not None:
            self.observer.committed(len(group.jobs), group.rows, group.seconds)
        if group.rows:
            self._recent_groups.append((time.monotonic(), group.rows))
            self._forget_old_groups()

    @property
    def recent_ingest_per_s(self) -> float:
        """Events per second in committed ingest groups (duplicates included), over the
        last ``INGEST_WINDOW_S``: how busy devices keep the store."""
        self._forget_old_groups()
        return sum(rows for _, rows in self._recent_groups) / INGEST_WINDOW_S

    def _forget_old_groups(self) -> None:
        since = time.monotonic() - INGEST_WINDOW_S
        recent = self._recent_groups
        while recent and recent[0][0] < since:
            recent.popleft()

    @property
    def writes_waiting(self) -> int:
        """Writes sent and not answered yet, but for the one the writer thread runs."""
        ingest = self._ingest
        return self._queue.qsize() + (ingest.pending if ingest is not None else 0)

    # reads -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection of this thread's own; reads never block the writer."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.rollback()

    def size_bytes(self) -> int:
        """Bytes on disk of the database and its write-ahead log."""
        total = 0
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                total += self.path.with_name(self.path.name + suffix).stat().st_size
        return total

    @property
    def running(self) -> bool:
        """True while the store takes writes (the ingest writer starts again when needed)."""
        return not self._closed and self._thread is not None and self._thread.is_alive()

    # the writer thread -----------------------------------------------------------------
    def _writer(self, loop: asyncio.AbstractEventLoop, opened: asyncio.Future[None]) -> None:
        try:
            conn = connect(self.path, max_bytes=self.max_bytes)
        except sqlite3.Error as exc:
            error = StoreUnavailableError(
                f"cannot open the store {self.path}: {unavailable_reason(exc) or exc}"
            )
            loop.call_soon_threadsafe(opened.set_exception, error)
            return
        loop.call_soon_threadsafe(opened.set_result, None)
        try:
            stopping = False
            while not stopping:
                group = [self._queue.get()]
                while True:  # the jobs queued behind the first share its commit
                    try:
                        group.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if _STOP in group:
                    stopping = True
                    group = group[: group.index(_STOP)]
                jobs = [job for job in group if isinstance(job, _Job)]
                if jobs:
                    self._run_group(conn, jobs)
        finally:
            while True:  # nobody will serve what is still queued
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, _Job):
                    item.error = StoreUnavailableError("the store is shutting down")
                    _deliver([item])
            conn.close()

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[None]:
        """SQLite's write lock, handed over by the ingest writer (when it runs)."""
        ingest = self._ingest
        if ingest is None:
            yield
            return
        with ingest.write_lock():
            yield

    def _run_group(self, conn: sqlite3.Connection, jobs: list[_Job]) -> None:
        """Run ``jobs`` in one transaction, each in its own savepoint; commit once."""
        started = time.monotonic()
        try:
            with self._write_lock():
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    for job in jobs:
                        self._run_job(conn, job)
                        if not conn.in_transaction:  # SQLite rolled it all back
                            raise job.error or StoreUnavailableError(
                                "the transaction was rolled back"
                            )
                    conn.execute("COMMIT")
                except Exception:
                    with contextlib.suppress(sqlite3.Error):  # before the lock goes back
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                    raise
        except Exception as exc:
            if isinstance(exc, StoreUnavailableError):  # says so already
                error = exc
            else:
                error = StoreUnavailableError(
                    f"the store cannot commit: {unavailable_reason(exc) or exc}"
                )
            self.last_error = str(error).removeprefix("the store cannot commit: ")
            log.error("store cannot commit %d writes: %s", len(jobs), self.last_error)
            for job in jobs:  # one exception each: each is raised in its own request
                job.error = StoreUnavailableError(str(error))
                job.result = None
            _deliver(jobs)
            return
        if self.observer is not None:
            self.observer.committed(len(jobs), 0, time.monotonic() - started)
        _deliver(jobs)

    def _run_job(self, conn: sqlite3.Connection, job: _Job) -> None:
        conn.execute("SAVEPOINT job")
        try:
            job.result = job.fn(conn)
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
            reason = unavailable_reason(exc)
            if reason is None:
                job.error = exc
                return
            # the disk, not this job: the rest of the group fails too
            job.error = StoreUnavailableError(f"the store cannot commit: {reason}")
            raise job.error from exc
        conn.execute("RELEASE job")
