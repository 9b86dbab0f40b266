"""The store's ingest writer: a process of its own that inserts event rows in groups.

Why a process: binding a row's values to SQLite takes the GIL, and so does validating the
next request on the event loop; in one process they take turns (about 45 % of an insert's
time holds the GIL here), in two they run on two CPUs at once.

The writer opens a transaction with the first waiting job and runs every job that comes
while it works, each as soon as it takes it, then commits once: many small requests
share one fsync and a request is answered only after its commit. Events are stamped
``received`` when the writer takes them. A job that fails on its own rows rolls back
alone; a commit that fails (disk full, read-only, corrupt) fails every job of its group
and nothing of it is stored.

The store's other writes run on a thread of the hub process (they are functions, which
cannot cross to another process). Between groups the writer hands SQLite's write lock to
that thread when it asks, so neither waits in SQLite's busy loop for the other; SQLite's
own locking keeps them apart should a side be gone.

Started by ``hub.store.ingest_process``, which calls ``main`` with the hub's own import path
and the arguments DATA_FD LOCK_FD PATH MAX_BYTES MAX_GROUP_ROWS GROUP_WAIT_S; it ignores
SIGINT and SIGTERM (the hub stops it once in-flight requests are answered) and exits when
the hub's end of a socket closes.
"""

from __future__ import annotations

import contextlib
import select
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from hub.client.events import utc_now
from hub.store.connection import connect, unavailable_reason
from hub.store.ingest_protocol import (
    COLUMNS,
    HEADER,
    LOCK,
    RECEIVED,
    UNAVAILABLE,
    UNLOCK,
    VALUES_PER_ROW,
    GroupDone,
    Ingest,
    JobDone,
    Ready,
    Stop,
    frame,
    to_writer,
)
from hub.store.rows import rfc3339

INSERT_HEAD = f"INSERT INTO events({', '.join(COLUMNS)}) "
_ROW = f"({', '.join('?' * VALUES_PER_ROW)})"
#: one row
INSERT = f"{INSERT_HEAD}VALUES {_ROW} ON CONFLICT(id) DO NOTHING"
# Whole chunks of a batch go in one statement: bound at once and stepped once, where
# executemany binds and steps row by row: ~10 % less CPU per row.
CHUNK_ROWS = 100
_CHUNK_VALUES = CHUNK_ROWS * VALUES_PER_ROW
_INSERT_CHUNK = f"{INSERT_HEAD}VALUES {', '.join([_ROW] * CHUNK_ROWS)} ON CONFLICT(id) DO NOTHING"


def insert_rows(conn: sqlite3.Connection, values: Sequence[str | None], rows: int) -> int:
    """Insert ``rows`` rows of flat ``values`` (``COLUMNS`` order); how many were new.

    Full chunks of ``CHUNK_ROWS`` rows are one statement each, the rest row by row; rows
    are stored in their order either way (their seqs follow it).
    """
    if len(values) != rows * VALUES_PER_ROW:
        raise ValueError(f"{len(values)} values for {rows} rows of {VALUES_PER_ROW}")
    full = (rows - rows % CHUNK_ROWS) * VALUES_PER_ROW
    new = 0
    for start in range(0, full, _CHUNK_VALUES):
        new += conn.execute(_INSERT_CHUNK, values[start : start + _CHUNK_VALUES]).rowcount
    if full < len(values):
        rest = [values[i : i + VALUES_PER_ROW] for i in range(full, len(values), VALUES_PER_ROW)]
        new += conn.executemany(INSERT, rest).rowcount
    return new


class Channel:
    """The writer's end of the data socket: framed messages in, framed replies out."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = bytearray()
        # received into, again and again: a new 1 MiB bytes per ``recv`` cost three
        # memory-mapping calls and fresh zeroed pages for every batch
        self._chunk = bytearray(1 << 20)
        self._chunk_view = memoryview(self._chunk)
        # poll, not select: the descriptors keep the hub's numbers, which may pass 1023
        self._poll = select.poll()
        self._poll.register(sock, select.POLLIN)

    def send(self, message: GroupDone | Ready) -> None:
        self.sock.sendall(frame(message))

    def buffered(self) -> Ingest | Stop | None:
        """A message already read whole, if any."""
        if len(self._buffer) < HEADER.size:
            return None
        (size,) = HEADER.unpack_from(self._buffer)
        end = HEADER.size + size
        if len(self._buffer) < end:
            return None
        message: Ingest | Stop = to_writer.decode(memoryview(self._buffer)[HEADER.size : end])
        del self._buffer[:end]
        return message

    def take(self, timeout: float | None) -> Ingest | Stop | None:
        """The next message, waiting up to ``timeout`` s (None: as long as it takes).

        None when nothing came in time (a frame that has begun to come is waited for
        whole); ``Stop`` when the hub's end is closed.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while (message := self.buffered()) is None:
            if self._buffer or deadline is None:
                # part of a frame is here: the hub wrote it whole, the rest is on its way
                left_ms = None
            else:
                left_ms = max(0.0, deadline - time.monotonic()) * 1000
            if not self._poll.poll(left_ms):
                return None
            if not self.fill():
                return Stop()
        return message

    def fill(self) -> bool:
        """Read what the socket holds; False at its end."""
        size = self.sock.recv_into(self._chunk)
        self._buffer += self._chunk_view[:size]
        return size > 0


class IngestWriter:
    """Commits ingest jobs in groups (see the module's docstring)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        channel: Channel,
        lock: socket.socket,
        *,
        max_group_rows: int,
        group_wait_s: float,
    ) -> None:
        self.conn = conn
        self.channel = channel
        self.lock = lock
        self.max_group_rows = max_group_rows
        self.group_wait_s = group_wait_s
        self._lock_asked = select.poll()
        self._lock_asked.register(lock, select.POLLIN)
        self._either = select.poll()
        self._either.register(channel.sock, select.POLLIN)
        self._either.register(lock, select.POLLIN)
        self._expected = 1  # jobs in the last group: how many to wait for in the next
        self._carried: Ingest | None = None  # taken, left for the next group

    def serve(self) -> None:
        """Run groups until asked to stop (or the hub's end closes)."""
        while True:
            first = self._carried or self._next_job()
            self._carried = None
            if isinstance(first, Stop) or not self._lend_lock_if_asked():
                return
            if self._run_group(first):
                return

    def _next_job(self) -> Ingest | Stop:
        """Wait for a job; meanwhile lend the write lock whenever it is asked for."""
        while (message := self.channel.buffered()) is None:
            ready = {fd for fd, _ in self._either.poll()}
            if self.lock.fileno() in ready and not self._lend_lock():
                return Stop()
            if self.channel.sock.fileno() in ready and not self.channel.fill():
                return Stop()
        return message

    def _lend_lock_if_asked(self) -> bool:
        """Before each group: lend the write lock if the hub's thread waits for it.

        Else a steady flow of batches would keep it waiting. False once the hub is gone.
        """
        if self._lock_asked.poll(0):
            return self._lend_lock()
        return True

    def _lend_lock(self) -> bool:
        """Grant the write lock and wait until it comes back; False once the hub is gone."""
        if self.lock.recv(1) != LOCK:
            return False
        self.lock.sendall(LOCK)
        return self.lock.recv(1) == UNLOCK

    def _more_jobs(
        self, taken: int, rows: int, deadline: float | None
    ) -> tuple[list[Ingest], float | None, bool]:
        """The jobs to add to a group of ``taken`` jobs and ``rows`` rows: [] once complete.

        Returns the jobs (the next one and those read behind it, up to ``max_group_rows``),
        the deadline of the group's wait (set by its first wait, kept for the later ones),
        and whether the store asked to stop.
        """
        if self._carried is not None:  # the group is full already
            return [], deadline, False
        item = self.channel.take(0)
        if item is None:
            # As many devices as last time are probably on their way (those answered by
            # the last commit send their next batch): wait a little for them, so they
            # share this commit instead of the next.
            if taken >= self._expected or self.group_wait_s <= 0:
                return [], deadline, False
            if deadline is None:
                deadline = time.monotonic() + self.group_wait_s
            item = self.channel.take(max(0.0, deadline - time.monotonic()))
            if item is None:
                return [], deadline, False
        jobs: list[Ingest] = []
        while not isinstance(item, Stop):
            size = max(1, item.rows)
            if rows + size > self.max_group_rows:  # the group has a job already
                self._carried = item
                return jobs, deadline, False
            jobs.append(item)
            rows += size
            if (item := self.channel.take(0)) is None:
                return jobs, deadline, False
        return jobs, deadline, True

    def _run_group(self, first: Ingest) -> bool:
        """Run ``first`` and the jobs that come while it runs in one transaction; commit once.

        The commit comes once nothing more is waiting and as many jobs as in the last
        group were taken (or ``group_wait_s`` passed), or before ``max_group_rows`` would
        be passed. Returns True when the store asked to stop.
        """
        conn = self.conn
        started = time.monotonic()
        group = [first]  # before BEGIN: a BEGIN that fails fails it too
        jobs = [first]
        done: dict[int, JobDone] = {}
        rows = weight = 0
        stopping = False
        deadline: float | None = None
        try:
            conn.execute("BEGIN IMMEDIATE")
            while True:
                weight += sum(max(1, job.rows) for job in jobs)
                # stamped when taken: never before a request came, ms before its commit
                received = [rfc3339(utc_now())]
                for job in jobs:
                    job.values[RECEIVED::VALUES_PER_ROW] = received * job.rows
                rows += self._run_jobs(jobs, done)
                if stopping:
                    break
                jobs, deadline, stopping = self._more_jobs(len(group), weight, deadline)
                if not jobs:
                    break
                group.extend(jobs)
            conn.execute("COMMIT")
        except Exception as exc:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            reason = unavailable_reason(exc) or str(exc)
            message = f"the store cannot commit: {reason}"
            failed = [JobDone(job.job, kind=UNAVAILABLE, message=message) for job in group]
            self.channel.send(GroupDone(failed, 0, time.monotonic() - started, reason))
            self._expected = len(group)
            return stopping
        self._expected = len(group)
        outcome = [done[job.job] for job in group]
        self.channel.send(GroupDone(outcome, rows, time.monotonic() - started))
        return stopping

    def _run_jobs(self, jobs: list[Ingest], done: dict[int, JobDone]) -> int:
        """Insert the jobs' rows in the open transaction, in one savepoint; the rows stored.

        Inserts that ignore known ids cannot fail for one job's data alone; should one
        fail all the same (other than for the disk), the jobs run again one by one, each
        in its own savepoint, so that only the failing one is refused. Raises when the
        disk (not a job) is at fault, or SQLite rolled the whole transaction back.
        """
        conn = self.conn
        conn.execute("SAVEPOINT ingest")
        try:
            for job in jobs:
                new = insert_rows(conn, job.values, job.rows)
                done[job.job] = JobDone(job.job, new, job.rows - new)
        except Exception as exc:
            self._roll_back_to("ingest")
            if unavailable_reason(exc) is not None or not conn.in_transaction:
                raise
            for job in jobs:
                self._run_alone(job, done)
            return sum(job.rows for job in jobs if done[job.job].kind is None)
        conn.execute("RELEASE ingest")
        return sum(job.rows for job in jobs)

    def _run_alone(self, job: Ingest, done: dict[int, JobDone]) -> None:
        conn = self.conn
        conn.execute("SAVEPOINT job")
        try:
            new = insert_rows(conn, job.values, job.rows)
        except Exception as exc:
            self._roll_back_to("job")
            if unavailable_reason(exc) is not None or not conn.in_transaction:
                raise
            done[job.job] = JobDone(job.job, kind=type(exc).__name__, message=str(exc))
            return
        conn.execute("RELEASE job")
        done[job.job] = JobDone(job.job, new, job.rows - new)

    def _roll_back_to(self, savepoint: str) -> None:
        if self.conn.in_transaction:
            self.conn.execute(f"ROLLBACK TO {savepoint}")
            self.conn.execute(f"RELEASE {savepoint}")


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    data_fd, lock_fd, path, max_bytes, max_group_rows, group_wait_s = args
    # The hub stops its writer once in-flight requests are answered: a Ctrl-C or a
    # SIGTERM to the whole process group must not cut it short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    channel = Channel(socket.socket(fileno=int(data_fd)))
    lock = socket.socket(fileno=int(lock_fd))
    try:
        conn = connect(Path(path), max_bytes=int(max_bytes) or None, journals_in_memory=True)
    except sqlite3.Error as exc:
        channel.send(Ready(f"cannot open the store {path}: {unavailable_reason(exc) or exc}"))
        return
    channel.send(Ready(None))
    try:
        IngestWriter(
            conn,
            channel,
            lock,
            max_group_rows=int(max_group_rows),
            group_wait_s=float(group_wait_s),
        ).serve()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the hub is gone: nothing is waiting for an answer
    finally:
        conn.close()
