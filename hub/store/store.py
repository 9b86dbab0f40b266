"""The store adapter: one writer thread owns the write connection and commits in groups.

Every write (ingest batches and ``run_write`` functions of every component) is a job on
one queue. The writer opens a transaction with the first waiting job and runs every job
that is queued while it works, each as soon as it takes it, then commits once: many small
requests share one fsync, the inserts of one request overlap the validation of the next,
and a request is answered only after its commit. Consecutive ingest jobs share one
savepoint; every other write has its own savepoint.
A job that fails rolls back alone; a commit that fails (disk full, read-only, corrupt)
fails every job of its group with ``StoreUnavailableError`` and nothing of it is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cimaise.errors import StoreUnavailableError
from hub.client.events import utc_now
from hub.store.migrations import apply_migrations
from hub.store.rows import EventRow, IngestResult, rfc3339
from hub.store.schema import CORE_MIGRATIONS

log = logging.getLogger(__name__)

T = TypeVar("T")

# SQLite primary result codes that mean "this store cannot commit now".
_UNAVAILABLE_CODES = {
    3: "permission denied",  # SQLITE_PERM
    5: "database is locked by another program",  # SQLITE_BUSY
    8: "the database is read-only",  # SQLITE_READONLY
    10: "disk I/O error",  # SQLITE_IOERR
    11: "the database file is corrupt",  # SQLITE_CORRUPT
    13: "the disk is full",  # SQLITE_FULL
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
    26: "the file is not a database",  # SQLITE_NOTADB
}

# The writer's form: the row values come ready from the caller's thread, the group's commit
# time from a one-row temporary table, so the writer (the serial part) only binds and steps.
_COLUMNS = "INSERT INTO events(id, type, ts, received, device_id, site, zone, visitor, body) "
_GROUP_ROW = "(?, ?, ?, (SELECT received FROM temp.group_clock), ?, ?, ?, ?, ?)"
_INSERT_GROUP = f"{_COLUMNS}VALUES {_GROUP_ROW} ON CONFLICT(id) DO NOTHING"
# Whole chunks of a batch go in one statement: bound at once and stepped once, where
# executemany binds and steps (and takes the GIL back) row by row: ~10 % less CPU per row.
CHUNK_ROWS = 100
_INSERT_CHUNK = (
    f"{_COLUMNS}VALUES {', '.join([_GROUP_ROW] * CHUNK_ROWS)} ON CONFLICT(id) DO NOTHING"
)
_INSERT = f"{_COLUMNS}VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING"


def insert_rows(conn: sqlite3.Connection, params: Sequence[tuple[str | None, ...]]) -> int:
    """Insert event rows (values without ``received``); returns how many were new.

    Full chunks of ``CHUNK_ROWS`` rows are one statement each, the rest row by row; rows
    are stored in their order either way (their seqs follow it).
    """
    full = len(params) - len(params) % CHUNK_ROWS
    new = 0
    for start in range(0, full, CHUNK_ROWS):
        values = list(chain.from_iterable(params[start : start + CHUNK_ROWS]))
        new += conn.execute(_INSERT_CHUNK, values).rowcount
    if full < len(params):
        new += conn.executemany(_INSERT_GROUP, params[full:]).rowcount
    return new


class CommitObserver(Protocol):
    """Told about every committed group (metrics); called on the writer thread."""

    def committed(self, jobs: int, rows: int, seconds: float) -> None: ...


def unavailable_reason(error: BaseException) -> str | None:
    """Why an SQLite error means the store cannot commit, or None for other errors."""
    if isinstance(error, sqlite3.IntegrityError | sqlite3.ProgrammingError):
        return None
    if isinstance(error, sqlite3.DatabaseError):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _UNAVAILABLE_CODES:
            return f"{_UNAVAILABLE_CODES[code & 0xFF]} ({error})"
        text = str(error).lower()
        for word in ("full", "readonly", "read-only", "malformed", "disk i/o", "not a database"):
            if word in text:
                return str(error)
    return None


@dataclass
class _Job:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    rows: Sequence[EventRow] | None = None
    params: list[tuple[str | None, ...]] | None = None
    fn: Callable[[sqlite3.Connection], Any] | None = None
    result: Any = None
    error: BaseException | None = field(default=None)


_STOP = object()


def _weight(job: _Job) -> int:
    """A job's rows towards ``max_group_rows``: a write that stores no events counts one."""
    return max(1, len(job.rows or ()))


def _settle(jobs: list[_Job]) -> None:
    for job in jobs:
        if job.future.done():  # the caller gave up (e.g. client disconnected)
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


def connect(path: Path, *, max_bytes: int | None = None) -> sqlite3.Connection:
    """A connection with the store's PRAGMAs (WAL, synchronous=FULL, foreign keys)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    if max_bytes is not None:
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        conn.execute(f"PRAGMA max_page_count={max(1, max_bytes // page_size)}")
    return conn


class Store:
    """The hub's SQLite store: ``async with Store(path) as store: ...``."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int | None = None,
        observer: CommitObserver | None = None,
        max_group_rows: int = 10_000,
        group_wait_s: float = 0.001,
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.observer = observer
        self.max_group_rows = max_group_rows
        self.group_wait_s = group_wait_s
        self._expected = 1  # writes in the last group: how many to wait for in the next
        self._carried: _Job | None = None  # taken from the queue, left for the next group
        self.last_error: str | None = None
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = True

    # lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the write connection on its thread and bring the core schema up to date."""
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

    async def close(self) -> None:
        """Finish queued writes, then close every connection."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)
        self._closed = True
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
        # Built here, on the caller's thread, while the writer commits the previous group.
        params = [
            (r.id, r.type, r.ts, r.device_id, r.site, r.zone, r.visitor, r.body.decode())
            for r in rows
        ]
        result: IngestResult = await self._submit(rows=rows, params=params)
        return result

    async def run_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the write connection in one transaction, committed on return."""
        result: T = await self._submit(fn=fn)
        return result

    async def _submit(self, **kwargs: Any) -> Any:
        if self._thread is None or not self._thread.is_alive():
            raise StoreUnavailableError("the store is not running")
        loop = asyncio.get_running_loop()
        job = _Job(loop=loop, future=loop.create_future(), **kwargs)
        self._queue.put(job)
        return await job.future

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
        """True while the writer thread accepts jobs."""
        return not self._closed and self._thread is not None and self._thread.is_alive()

    # the writer thread ---------------------------------------------------------------
    def _writer(self, loop: asyncio.AbstractEventLoop, opened: asyncio.Future[None]) -> None:
        try:
            conn = connect(self.path, max_bytes=self.max_bytes)
            conn.execute("PRAGMA temp_store=MEMORY")
            conn.execute("CREATE TEMP TABLE group_clock (received TEXT)")
            conn.execute("INSERT INTO temp.group_clock VALUES (NULL)")
        except sqlite3.Error as exc:
            error = StoreUnavailableError(
                f"cannot open the store {self.path}: {unavailable_reason(exc) or exc}"
            )
            loop.call_soon_threadsafe(opened.set_exception, error)
            return
        loop.call_soon_threadsafe(opened.set_result, None)
        stopping = False
        try:
            while not stopping:
                first = self._carried or self._queue.get()
                self._carried = None
                if first is _STOP:
                    break
                assert isinstance(first, _Job)
                stopping = self._run_group(conn, first)
        finally:
            while True:  # nobody will serve what is still queued
                try:
                    item = self._next_job()
                except queue.Empty:
                    break
                if isinstance(item, _Job):
                    item.error = StoreUnavailableError("the store is shutting down")
                    _deliver([item])
            conn.close()

    def _next_job(self, timeout: float | None = None) -> _Job | object:
        """The job a full group left for the next one, else the queue's next.

        Raises ``queue.Empty`` when nothing comes (at once, or within ``timeout``).
        """
        if self._carried is not None:
            job, self._carried = self._carried, None
            return job
        if timeout is None:
            return self._queue.get_nowait()
        return self._queue.get(timeout=timeout)

    def _more_jobs(
        self, taken: int, rows: int, deadline: float | None
    ) -> tuple[list[_Job], float | None, bool]:
        """The jobs to add to a group of ``taken`` jobs and ``rows`` rows: [] once complete.

        Returns the jobs (the next one and those queued behind it, up to
        ``max_group_rows`` by ``_weight``), the deadline
        of the group's wait (set by its first wait, kept for the later ones), and whether
        the store is stopping.
        """
        try:
            item = self._next_job()
        except queue.Empty:
            # As many writers as last time are probably on their way (devices answered
            # by the last commit send their next request): wait a little for them, so
            # they share this commit instead of the next.
            if taken >= self._expected or self.group_wait_s <= 0:
                return [], deadline, False
            if deadline is None:
                deadline = time.monotonic() + self.group_wait_s
            left = deadline - time.monotonic()
            if left <= 0:
                return [], deadline, False
            try:
                item = self._next_job(timeout=left)
            except queue.Empty:
                return [], deadline, False
        jobs: list[_Job] = []
        while item is not _STOP:
            assert isinstance(item, _Job)
            size = _weight(item)
            if rows + size > self.max_group_rows:  # the group has a job already
                self._carried = item  # the first job of the next group
                return jobs, deadline, False
            jobs.append(item)
            rows += size
            try:
                item = self._next_job()
            except queue.Empty:
                return jobs, deadline, False
        return jobs, deadline, True

    def _run_group(self, conn: sqlite3.Connection, first: _Job) -> bool:
        """Run ``first`` and the jobs queued while it runs in one transaction; commit once.

        Each job runs as soon as the writer takes it, so a group's inserts overlap the
        requests still being validated; the commit comes once nothing more is queued
        and as many jobs as in the last group were taken (or ``group_wait_s`` passed),
        or before ``max_group_rows`` would be passed. Events are stamped ``received``
        when the writer takes them. Returns True when the store was asked to stop.
        """
        started = time.monotonic()
        received = ""
        group: list[_Job] = []
        rows = 0
        weight = 0  # rows towards max_group_rows (see _weight)
        stopping = False
        deadline: float | None = None
        jobs = [first]
        try:
            conn.execute("BEGIN IMMEDIATE")
            while jobs:
                group.extend(jobs)
                weight += sum(map(_weight, jobs))
                if any(job.params is not None for job in jobs):
                    # stamped when taken: never before a request came, ms before its commit
                    received = rfc3339(utc_now())
                    conn.execute("UPDATE temp.group_clock SET received = ?", (received,))
                rows += self._run_jobs(conn, jobs)
                if stopping:
                    break
                jobs, deadline, stopping = self._more_jobs(len(group), weight, deadline)
            conn.execute("COMMIT")
        except Exception as exc:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            if isinstance(exc, StoreUnavailableError):  # says so already
                error = exc
            else:
                error = StoreUnavailableError(
                    f"the store cannot commit: {unavailable_reason(exc) or exc}"
                )
            self.last_error = str(error).removeprefix("the store cannot commit: ")
            log.error("store cannot commit %d writes: %s", len(group), self.last_error)
            for job in group:  # one exception each: each is raised in its own request
                job.error = StoreUnavailableError(str(error))
                job.result = None
            _deliver(group)
            self._expected = len(group)
            return stopping
        self._expected = len(group)
        if rows:  # only a commit that stored events shows the disk takes them again
            self.last_error = None
        if self.observer is not None:
            self.observer.committed(len(group), rows, time.monotonic() - started)
        _deliver(group)
        return stopping

    def _run_jobs(self, conn: sqlite3.Connection, jobs: list[_Job]) -> int:
        """Run jobs in the open transaction; returns the event rows stored.

        Consecutive ingests run together (one savepoint); every
        other write has its own savepoint. Raises when SQLite rolled the whole
        transaction back.
        """
        rows = 0
        index = 0
        while index < len(jobs):
            if jobs[index].rows is None:
                batch = jobs[index : index + 1]
                self._run_job(conn, batch[0])
            else:
                end = index
                while end < len(jobs) and jobs[end].rows is not None:
                    end += 1
                batch = jobs[index:end]
                self._run_ingests(conn, batch)
            index += len(batch)
            for job in batch:
                if job.error is None and job.rows is not None:
                    rows += len(job.rows)
            if not conn.in_transaction:  # SQLite rolled the whole transaction back
                failed = next((job.error for job in batch if job.error), None)
                raise failed or StoreUnavailableError("the transaction was rolled back")
        return rows

    def _run_ingests(self, conn: sqlite3.Connection, jobs: list[_Job]) -> None:
        """Consecutive ingest jobs in one savepoint.

        Inserts that ignore known ids cannot fail for one job's data alone; should one
        fail all the same (other than for the disk), the jobs run again one by one, each
        in its own savepoint, so that only the failing one is refused.
        """
        if len(jobs) == 1:
            self._run_job(conn, jobs[0])
            return
        conn.execute("SAVEPOINT ingest")
        try:
            self._insert_many(conn, jobs)
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO ingest")
                conn.execute("RELEASE ingest")
            reason = unavailable_reason(exc)
            if reason is not None:  # the disk, not a job: the rest of the group fails too
                error = StoreUnavailableError(f"the store cannot commit: {reason}")
                for job in jobs:
                    job.error = error
                raise error from exc
            for job in jobs:
                job.result = None
                self._run_job(conn, job)
                if not conn.in_transaction:
                    return
            return
        conn.execute("RELEASE ingest")

    def _run_job(self, conn: sqlite3.Connection, job: _Job) -> None:
        conn.execute("SAVEPOINT job")
        try:
            if job.rows is not None:
                self._insert_many(conn, [job])
            else:
                assert job.fn is not None
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

    def _insert_many(self, conn: sqlite3.Connection, jobs: list[_Job]) -> None:
        """Insert the rows of ``jobs``; each job's result counts its own."""
        for job in jobs:
            assert job.rows is not None and job.params is not None
            new = insert_rows(conn, job.params)
            job.result = IngestResult(new, len(job.rows) - new)
