"""The rollup follower: counts committed events into the analytics rollups, after commit.

Counting inside every ingest commit (an ingest hook) made each ingest commit longer.
The follower instead runs about every second and whenever a page
asks (:meth:`RollupFollower.catch_up`). For each chunk of the event log after its cursor
(``web_rollup_cursor``) it reads and counts the chunk on a read connection, off the
writer (``hub.web.rollup_store.read_chunk``), then one ``Store.run_write`` job writes
the counts and moves the cursor in one transaction (``apply_chunk``), so every committed
event is counted exactly once, also across restarts and failed commits. Analytics lag
ingest by about a second (up to ``MAX_DEFER_S`` during heavy ingest); pages that show
counts catch up first.

While devices send heavily (``HEAVY_INGEST_PER_S``, as when outboxes flush after an
outage), the background loop leaves the CPU to ingest and counts once it calms down, or
once the rollups have been behind for ``MAX_DEFER_S`` whatever the load (then paced by
``rest_s``). Counting takes more of the hub's CPU per event than ingest itself.

The flow counter's memory of the current day (latest visit per pseudonym) is kept
here, rebuilt from ``web_flow_memory`` at start, and changed only after the job that
wrote it has committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from datetime import tzinfo

from cimaise.errors import StoreUnavailableError
from hub.store import Store
from hub.web.rollup_store import (
    Chunk,
    FlowMemory,
    FollowResult,
    apply_chunk,
    read_chunk,
    read_cursor,
)

log = logging.getLogger(__name__)

#: events per chunk: one job never holds the writer long, ingest runs between
CHUNK = 2_000
INTERVAL_S = 1.0
#: while writes wait for the store (mostly devices' batches), the background loop rests
#: this many times as long as each chunk took (at most a fifth of the time), else once
BUSY_REST = 4.0
#: events ingested per second (over the last second) above which the background loop
#: waits; a gallery's devices send tens per second, outboxes flushing thousands
HEAVY_INGEST_PER_S = 5_000.0
#: the longest the rollups stay behind because of heavy ingest
MAX_DEFER_S = 30.0


class RollupFollower:
    """Start with :meth:`start`, stop with :meth:`stop`; :meth:`catch_up` flushes on demand."""

    def __init__(
        self,
        store: Store,
        tz: tzinfo | None = None,
        *,
        interval_s: float = INTERVAL_S,
        chunk: int = CHUNK,
        heavy_ingest_per_s: float = HEAVY_INGEST_PER_S,
        max_defer_s: float = MAX_DEFER_S,
    ) -> None:
        self.store = store
        self.tz = tz
        self.interval_s = interval_s
        self.chunk = chunk
        self.heavy_ingest_per_s = heavy_ingest_per_s
        self.max_defer_s = max_defer_s
        self._caught_up_at = time.monotonic()  # when nothing was left to count
        self.cursor = 0
        self.counted = 0  # events counted since start
        self.last_error: str | None = None
        self._memory = FlowMemory()
        self._lock: asyncio.Lock | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Load the cursor and the flow memory, then follow the log in the background."""

        def load(conn: sqlite3.Connection) -> tuple[int, FlowMemory]:
            memory = FlowMemory.load(conn)
            rows = conn.execute("SELECT count(*) FROM web_flow_memory").fetchone()[0]
            if rows > 2 * len(memory.last) + 1000:
                memory.compact(conn)
            return read_cursor(conn), memory

        self._lock = asyncio.Lock()
        self.cursor, self._memory = await self.store.run_write(load)
        self._task = asyncio.create_task(self._run(), name="cimaise-rollup-follower")

    async def stop(self, flush_timeout_s: float = 5.0) -> None:
        """Stop following; count what is committed already (within ``flush_timeout_s``)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._lock is not None and self.store.running:
            with contextlib.suppress(StoreUnavailableError, TimeoutError):
                await asyncio.wait_for(self.catch_up(), flush_timeout_s)

    async def catch_up(self, *, paced: bool = False) -> int:
        """Count every event committed before this call; returns how many were counted.

        ``paced`` (the background loop): after each chunk with more to come, rest
        (``rest_s``) so that a long backlog leaves most of the process's time to requests,
        and stop when heavy ingest begins (``defers``; the loop comes back). It rests
        without holding the follower: a page that asks meanwhile counts at once.
        """
        if self._lock is None:
            return 0
        with self.store.read() as conn:
            target = int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
        counted = 0
        while True:
            async with self._lock:
                if target == self.cursor:
                    self._caught_up_at = time.monotonic()
                    return counted
                started = time.monotonic()
                result = await self._step()
                counted += result.counted
                if not result.more or result.cursor >= target:
                    self._caught_up_at = time.monotonic()
                    return counted
            if paced:
                if self.defers():
                    return counted
                await asyncio.sleep(self.rest_s(time.monotonic() - started))

    def rest_s(self, chunk_s: float) -> float:
        """How long the background loop rests after a chunk that took ``chunk_s``: as long,
        so that it takes at most half of the time, or ``BUSY_REST`` times as long while
        writes wait for the store (mostly devices' batches, as when they flush outboxes)."""
        return chunk_s * (BUSY_REST if self.store.writes_waiting else 1.0)

    def defers(self) -> bool:
        """Whether the background loop waits now: ingest is heavy, and the rollups were
        last complete less than ``max_defer_s`` ago."""
        if self.store.recent_ingest_per_s < self.heavy_ingest_per_s:
            return False
        return time.monotonic() - self._caught_up_at < self.max_defer_s

    async def _step(self) -> FollowResult:
        memory, tz, size, cursor = self._memory, self.tz, self.chunk, self.cursor

        def read() -> Chunk:
            with self.store.read() as conn:
                return read_chunk(conn, cursor, tz, size)

        piece = await asyncio.to_thread(read)
        result = await self.store.run_write(lambda conn: apply_chunk(conn, piece, memory))
        # committed: now the memory may change (a failed commit raised above)
        memory.update(result.changes)
        self.cursor = result.cursor
        self.counted += result.counted
        return result

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            if self.defers():
                continue
            try:
                await self.catch_up(paced=True)
                self.last_error = None
            except StoreUnavailableError as exc:
                self.last_error = str(exc)
                log.warning("analytics rollups wait for the store: %s", exc)
            except Exception as exc:
                self.last_error = str(exc)
                log.exception("analytics rollups failed; retrying")
