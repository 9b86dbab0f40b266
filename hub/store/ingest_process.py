"""The hub's side of the ingest writer process: start it, send it jobs, settle their replies.

See ``hub.store.ingest_writer`` for the process and why it is one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from cimaise.errors import StoreUnavailableError
from hub.store.ingest_protocol import (
    HEADER,
    LOCK,
    UNAVAILABLE,
    UNLOCK,
    GroupDone,
    Ingest,
    Ready,
    Stop,
    frame,
    from_writer,
    from_writer_first,
)
from hub.store.rows import IngestResult

log = logging.getLogger(__name__)

# The exceptions a job's own rows can raise, raised again in the hub by name.
_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        sqlite3.IntegrityError,
        sqlite3.OperationalError,
        sqlite3.ProgrammingError,
        sqlite3.DataError,
        sqlite3.DatabaseError,
    )
}
# The writer imports exactly what this hub would: its import path is the hub's own
# (-P: not the current folder first, as ``-m`` would put it).
_BOOT = (
    "import os, sys; sys.path[:] = os.environ.pop('CIMAISE_IMPORT_PATH').split(os.pathsep); "
    "from hub.store.ingest_writer import main; main(sys.argv[1:])"
)
_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 12.0  # twice of it stays within systemd's TimeoutStopSec (30 s)


async def _first_reply(reader: asyncio.StreamReader) -> Ready:
    (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
    return from_writer_first.decode(await reader.readexactly(size))


def job_error(kind: str, message: str) -> Exception:
    """The exception of a job that failed in the writer."""
    if kind == UNAVAILABLE:
        return StoreUnavailableError(message)
    return _ERRORS.get(kind, sqlite3.DatabaseError)(message)


class IngestProcess:
    """One running writer process; ``await IngestProcess.start(...)`` makes one."""

    def __init__(
        self,
        proc: asyncio.subprocess.Process,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        lock: socket.socket,
        on_group: Callable[[GroupDone], None],
    ) -> None:
        self.proc = proc
        self._reader = reader
        self._writer = writer
        self._lock = lock
        self._lock_guard = threading.Lock()  # one holder at a time on the hub's side
        self._on_group = on_group
        self._pending: dict[int, asyncio.Future[IngestResult]] = {}
        self._ids = itertools.count()
        self._replies = asyncio.create_task(self._read_replies(), name="cimaise-store-replies")
        self.stopping = False

    @classmethod
    async def start(
        cls,
        path: Path,
        *,
        max_bytes: int | None,
        max_group_rows: int,
        group_wait_s: float,
        on_group: Callable[[GroupDone], None],
    ) -> IngestProcess:
        """Start a writer on ``path``; raises ``StoreUnavailableError`` when it cannot open it."""
        data, their_data = socket.socketpair()
        lock, their_lock = socket.socketpair()
        env = {**os.environ, "CIMAISE_IMPORT_PATH": os.pathsep.join(sys.path)}
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-P",
                "-c",
                _BOOT,
                str(their_data.fileno()),
                str(their_lock.fileno()),
                str(path),
                str(max_bytes or 0),
                str(max_group_rows),
                repr(group_wait_s),
                pass_fds=(their_data.fileno(), their_lock.fileno()),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except OSError as exc:
            data.close()
            lock.close()
            raise StoreUnavailableError(f"cannot start the store's writer: {exc}") from exc
        finally:
            their_data.close()
            their_lock.close()
        writer: asyncio.StreamWriter | None = None
        try:
            reader, writer = await asyncio.open_unix_connection(sock=data, limit=1 << 20)
            ready = await asyncio.wait_for(_first_reply(reader), _START_TIMEOUT_S)
        except BaseException as exc:  # a timeout, a writer of other code, a cancelled start
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await asyncio.shield(proc.wait())
            if writer is not None:
                writer.close()
            data.close()
            lock.close()
            if not isinstance(exc, Exception):
                raise
            raise StoreUnavailableError(
                f"the store's writer did not start (exit code {proc.returncode}): see the hub's log"
            ) from exc
        if ready.error is not None:
            await proc.wait()
            writer.close()
            lock.close()
            raise StoreUnavailableError(ready.error)
        return cls(proc, reader, writer, lock, on_group)

    @property
    def alive(self) -> bool:
        return not self._replies.done()

    @property
    def pending(self) -> int:
        """Jobs sent and not answered yet."""
        return len(self._pending)

    async def ingest(self, values: list[str | None], rows: int) -> IngestResult:
        """Store ``rows`` rows of flat values; returns after their commit."""
        if not self.alive or self.stopping:
            raise StoreUnavailableError("the store's writer is not running")
        job = next(self._ids)
        future: asyncio.Future[IngestResult] = asyncio.get_running_loop().create_future()
        self._pending[job] = future
        self._writer.write(frame(Ingest(job, rows, values)))
        try:
            await self._writer.drain()
        except OSError as exc:  # the writer is gone: its reply reader fails the jobs
            log.debug("store writer socket: %s", exc)
        return await future

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold SQLite's write lock from a hub thread: the writer waits between groups.

        When the writer is gone this holds nothing: SQLite's own lock keeps the
        connections apart, and waiting for an answer that cannot come would hang.
        """
        with self._lock_guard:
            granted = False
            try:
                self._lock.sendall(LOCK)
                granted = self._lock.recv(1) == LOCK
            except OSError:
                pass
            try:
                yield
            finally:
                if granted:
                    with contextlib.suppress(OSError):
                        self._lock.sendall(UNLOCK)

    async def stop(self) -> None:
        """Let the writer finish what it was sent, then wait for it to exit."""
        self.stopping = True
        with contextlib.suppress(OSError, TimeoutError):
            self._writer.write(frame(Stop()))
            await asyncio.wait_for(self._writer.drain(), _STOP_TIMEOUT_S)
        try:  # meanwhile the replies keep coming in
            await asyncio.wait_for(self.proc.wait(), _STOP_TIMEOUT_S)
        except TimeoutError:
            log.error("the store's writer did not stop in %.0f s: killed", _STOP_TIMEOUT_S)
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
        with contextlib.suppress(Exception):  # its last replies, up to the socket's end
            await asyncio.wait_for(asyncio.shield(self._replies), _STOP_TIMEOUT_S)
        self._replies.cancel()
        self._writer.close()
        self._lock.close()

    async def _read_replies(self) -> None:
        reason = "the store's writer stopped"
        try:
            while True:
                (size,) = HEADER.unpack(await self._reader.readexactly(HEADER.size))
                self._settle(from_writer.decode(await self._reader.readexactly(size)))
        except (asyncio.IncompleteReadError, OSError) as exc:
            if not self.stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.proc.wait(), _STOP_TIMEOUT_S)
                reason = f"the store's writer stopped (exit code {self.proc.returncode})"
                log.error("%s; it starts again with the next batch", reason)
                log.debug("store writer socket: %r", exc)
        except Exception:  # a reply this hub cannot read: nobody would read the next ones
            log.exception("store writer: unreadable reply; it starts again with the next batch")
            reason = "the store's writer sent an unreadable reply"
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(StoreUnavailableError(reason))
            self._pending.clear()

    def _settle(self, group: GroupDone) -> None:
        for done in group.jobs:
            future = self._pending.pop(done.job, None)
            if future is None or future.done():  # the caller gave up (client disconnected)
                continue
            if done.kind is None:
                future.set_result(IngestResult(done.accepted, done.duplicates))
            else:
                future.set_exception(job_error(done.kind, done.message or done.kind))
        try:
            self._on_group(group)
        except Exception:  # metrics or health: never a reason to stop reading replies
            log.exception("store writer: handling a group's outcome failed")
