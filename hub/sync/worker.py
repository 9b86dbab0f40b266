"""The sync worker: the hub's background task that sends batches and keeps the store tidy.

Wiring (the app factory): ``setup_sync(app)`` registers the worker under ``SYNC`` and its
cleanup context ``sync_ctx`` (after the store's). The worker always runs the privacy
and disk chores (see ``hub.sync.housekeeping``); it sends batches only when
``cloud_url`` is set. ``app[SYNC].status`` is the live state (``SyncStatus``) the web
page reads; its figures are also registered in the hub's Prometheus registry.

One batch is in flight at a time, so the receiver sees batches in cursor order. The
cursor moves durably (``store.run_write``) only after a 2xx, or when a batch is parked.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final, TypeVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from cimaise.errors import CimaiseError, ConfigError
from cimaise.settings import Settings
from hub.client.events import utc_now
from hub.keys import METRICS, SETTINGS, STORE
from hub.store import Store
from hub.store.migrations import apply_migrations
from hub.sync import housekeeping as hk
from hub.sync import tables
from hub.sync.backoff import Backoff, Verdict
from hub.sync.batching import GZIP_LEVEL, StreamRows, gzip_body, headers
from hub.sync.chores import StoreAccess, run_chores
from hub.sync.cursor import InFlight, StreamCursor
from hub.sync.metrics import SyncCollector
from hub.sync.sender import post_batch
from hub.sync.status import SyncStatus

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class SyncOptions:
    """Tuning of the worker (the settings file holds what a museum configures)."""

    max_count: int = 5000  # records per batch
    max_bytes: int = 2 * 1024 * 1024  # uncompressed NDJSON bytes per batch
    backoff: Backoff = dataclasses.field(default_factory=Backoff)
    timeout_s: float = 30.0  # one POST, answer included
    poll_s: float = 2.0  # how often new events and 'sync now' requests are looked for
    housekeeping_s: float = 60.0
    heartbeat_s: float = 10.0  # how often the state is stored for the CLI
    flow_grace: timedelta = timedelta(minutes=15)  # late visits a day's flows still count
    delete_chunk: int = 2000
    gzip_level: int = GZIP_LEVEL


PUMP_BATCHES: Final = 50


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """A batch ready to send: its cursor (range fixed), record count and gzip body."""

    stream: tables.Stream
    cursor: StreamCursor
    records: int
    body: bytes


class SyncWorker:
    """Sends the events and flow streams to the cloud and runs the chores; see the module."""

    def __init__(
        self,
        options: SyncOptions | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.options = options or SyncOptions()
        self.status = SyncStatus()
        self._clock = clock
        self._rand = rand
        self._store: Store | None = None
        self._settings = Settings()
        self._session: aiohttp.ClientSession | None = None
        self._streams: list[tables.Stream] = []
        self._cursors: dict[str, StreamCursor] = {}
        self._epoch = ""
        self._secret = b""
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._next_try = 0.0  # monotonic
        self._next_heartbeat = 0.0
        self._next_refresh = 0.0

    # lifecycle ---------------------------------------------------------------------------
    async def start(self, store: Store, settings: Settings) -> None:
        """Check the settings, bring the sync tables up to date, load the cursors."""
        if settings.cloud_url:
            parts = urlsplit(settings.cloud_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(f"cloud_url must be an http(s) URL, not {settings.cloud_url!r}")
            if not settings.cloud_secret:
                raise ConfigError("cloud_url is set but cloud_secret (CIMAISE_CLOUD_SECRET) is not")
        self._store = store
        self._settings = settings
        self._secret = (settings.cloud_secret or "").encode()
        await store.run_write(lambda c: apply_migrations(c, tables.COMPONENT, tables.MIGRATIONS))
        self._streams = [
            tables.EventStream(settings.privacy_mode),
            tables.FlowStream(settings.site),
        ]

        def load(c: sqlite3.Connection) -> tuple[str, dict[str, StreamCursor]]:
            return tables.epoch(c), {s.name: tables.load_cursor(c, s.name) for s in self._streams}

        self._epoch, self._cursors = await self._read(load)
        s = self.status
        s.enabled = bool(settings.cloud_url)
        s.mode = settings.privacy_mode
        s.disk_budget_bytes = settings.disk_budget_mb * 1024 * 1024
        if settings.cloud_url:
            parts = urlsplit(settings.cloud_url)
            s.receiver = f"{parts.scheme}://{parts.hostname}" + (
                f":{parts.port}" if parts.port else ""
            )
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.options.timeout_s)
            )
        await self._refresh()

    def launch(self) -> None:
        """Run the worker's loop as a task of the running event loop."""
        self._task = asyncio.create_task(self.run(), name="cimaise-sync")

    async def stop(self) -> None:
        """Stop the loop (an attempt in flight is abandoned; it is retried next start)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._store is not None and self._store.running:
            self.status.alive = None  # tells the CLI that no worker runs any more
            snapshot = self.status.to_dict()
            await self._guarded(self._write(lambda c: tables.save_status(c, snapshot)))

    def wake(self) -> None:
        """Try at once (e.g. after ``sync now``): clears a halt and a backoff wait."""
        self.status.halted = False
        self._next_try = 0.0
        self._wake.set()

    # the loop ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Chores every ``housekeeping_s``; batches whenever due; until cancelled."""
        next_chores = 0.0
        while True:
            now = time.monotonic()
            if now >= next_chores:
                await self._guarded(self.housekeeping())
                next_chores = time.monotonic() + self.options.housekeeping_s
            await self._guarded(self._take_requests())
            if self._due():
                progressed = await self._guarded(self.sync_once())
                if progressed:
                    continue
            await self._guarded(self._heartbeat())
            waits = [self.options.poll_s, next_chores - time.monotonic()]
            if self.status.enabled and not self.status.halted and self._next_try > 0:
                waits.append(self._next_try - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, min(waits)))
            self._wake.clear()

    def _due(self) -> bool:
        s = self.status
        return s.enabled and not s.halted and time.monotonic() >= self._next_try

    async def _guarded(self, step: Awaitable[T]) -> T | None:
        # The worker must outlive a full disk or a bug in one round: log, show, go on.
        try:
            return await step
        except asyncio.CancelledError:
            raise
        except (CimaiseError, sqlite3.Error) as exc:
            self._error(f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            log.exception("sync round failed")
            self._error(f"internal error: {type(exc).__name__}: {exc}")
        return None

    def _error(self, message: str) -> None:
        s = self.status
        s.last_error = message
        s.last_error_at = self._clock()
        log.warning("sync: %s", message)

    async def drain(self, max_batches: int = 10_000) -> int:
        """Send batches until nothing is left or an attempt fails; returns batches sent."""
        sent = 0
        while sent < max_batches and self.status.enabled and not self.status.halted:
            before = self.status.sent_batches
            progressed = await self.sync_once(min(PUMP_BATCHES, max_batches - sent))
            sent += self.status.sent_batches - before
            if not progressed:
                break
        await self._refresh()
        await self._heartbeat(force=True)
        return sent

    # batches ---------------------------------------------------------------------------
    async def sync_once(self, max_batches: int = PUMP_BATCHES) -> bool:
        """Send the next batches of the first stream with work; True if anything moved.

        While a batch is on the wire the next one is read, transformed and compressed
        (not yet recorded as in flight: that happens only once the first is delivered,
        in the same write that moves the cursor), so the hub's work overlaps the
        receiver's. At most ``PUMP_BATCHES`` in a row, so the loop's chores still run.
        """
        for stream in self._streams:
            planned = await self._plan(stream, self._cursors[stream.name])
            if planned is None:
                continue
            # compressed while the range is saved and the next batch is read
            first = asyncio.create_task(self._compress(stream, planned))
            try:
                if planned[0] != self._cursors[stream.name]:
                    await self._save(planned[0])  # the batch's range is fixed from now on
            except BaseException:
                await _cancel(first)
                raise
            return await self._pump(stream, planned[0], first, max_batches)
        return False

    async def _plan(
        self, stream: tables.Stream, cursor: StreamCursor
    ) -> tuple[StreamCursor, StreamRows] | None:
        """Read and transform the next batch's rows (the range of one in flight, or new)."""
        opts = self.options
        epoch = self._epoch

        def build(conn: sqlite3.Connection) -> tuple[StreamCursor, StreamRows] | None:
            first, last = cursor.window()
            limit = opts.max_count if last is None else 2**31
            rows = stream.rows(conn, first, last, limit)
            if cursor.in_flight is not None:
                return cursor, rows  # its range is fixed: every row read belongs to it
            if not rows.seqs:
                return None
            rows = rows.head(opts.max_count, opts.max_bytes)
            return cursor.plan(rows, epoch), rows

        return await self._read(build)

    async def _compress(
        self, stream: tables.Stream, planned: tuple[StreamCursor, StreamRows]
    ) -> _Prepared:
        cursor, rows = planned
        level = self.options.gzip_level
        body = await asyncio.to_thread(gzip_body, rows.body, level) if rows.records else b""
        return _Prepared(stream, cursor, rows.records, body)

    async def _prepare(self, stream: tables.Stream, cursor: StreamCursor) -> _Prepared | None:
        planned = await self._plan(stream, cursor)
        return None if planned is None else await self._compress(stream, planned)

    async def _produce(
        self,
        stream: tables.Stream,
        cursor: StreamCursor,
        count: int,
        out: asyncio.Queue[_Prepared | None],
    ) -> None:
        # Speculative batches after the one on the wire: the next batch's rows are read
        # and transformed while the one before it is compressed (zlib runs without the
        # GIL), and both while the receiver works. Ends with None.
        compressing: asyncio.Task[_Prepared] | None = None
        try:
            for _ in range(count):
                planned = await self._plan(stream, cursor)
                if compressing is not None:
                    await out.put(await compressing)
                    compressing = None
                if planned is None:
                    break
                compressing = asyncio.create_task(self._compress(stream, planned))
                cursor = planned[0].done()
            if compressing is not None:
                await out.put(await compressing)
                compressing = None
        except (CimaiseError, sqlite3.Error, OSError) as exc:
            # the batch on the wire still completes; the next round starts afresh
            log.warning("preparing the next batch failed: %s", exc)
        finally:
            if compressing is not None:
                await _cancel(compressing)

    async def _pump(
        self,
        stream: tables.Stream,
        cursor: StreamCursor,
        first: asyncio.Task[_Prepared],
        max_batches: int,
    ) -> bool:
        ahead: asyncio.Queue[_Prepared | None] = asyncio.Queue(maxsize=2)
        producer = asyncio.create_task(self._produce(stream, cursor.done(), max_batches - 1, ahead))
        try:
            prepared = await first
            while True:
                if prepared.records == 0:  # only rows the sync skips: no request
                    await self._save(prepared.cursor.done())
                    return True
                outcome = await self._send(prepared)
                if outcome is not Verdict.DELIVERED:
                    # parked or split: the next attempt may go at once; else wait
                    return outcome in (Verdict.PARK, Verdict.TOO_LARGE)
                following = await _next_or_none(ahead, producer)
                if following is None:
                    await self._save(prepared.cursor.done())
                    await self._refresh()
                    return True
                # the cursor past the delivered batch, and the next range, in one write
                await self._save(following.cursor)
                if time.monotonic() >= self._next_refresh:  # figures for people: 1/s is enough
                    await self._refresh()
                prepared = following
        finally:
            await _cancel(first)
            await _cancel(producer)

    async def _send(self, prepared: _Prepared) -> Verdict:
        """POST one prepared batch and act on the answer; returns what happened.

        A delivered batch is not recorded here: the caller moves the cursor (together
        with the next range when there is one). Other outcomes are recorded here.
        """
        assert self._session is not None and self._settings.cloud_url
        stream, cursor = prepared.stream, prepared.cursor
        flight = cursor.in_flight
        assert flight is not None
        stamp = int(self._clock().timestamp())
        hdrs = headers(self._settings.site, flight.batch, stamp, prepared.body, self._secret)
        answer = await post_batch(self._session, self._settings.cloud_url, prepared.body, hdrs)
        now = self._clock()
        s = self.status
        s.last_attempt = now
        decision = self.options.backoff.decide(
            answer.status, flight.failures + 1, self._rand, answer.retry_after, now
        )
        verdict = decision.verdict
        if verdict is Verdict.DELIVERED:
            self._cursors[stream.name] = cursor
            s.last_success = now
            s.failures = 0
            s.next_try = None
            s.sent_batches += 1
            s.sent_records += prepared.records
            self._next_try = 0.0
            log.debug("batch %s delivered (%d records)", flight.batch, prepared.records)
            return Verdict.DELIVERED
        if verdict is Verdict.TOO_LARGE:
            seqs = await self._read(
                lambda c: tables.seqs_between(c, stream, flight.first, flight.last)
            )
            halved = cursor.split(seqs, self._epoch)
            if halved is not None:
                log.info("batch %s too large for the receiver: halved", flight.batch)
                await self._save(halved)
                return Verdict.TOO_LARGE
            verdict = Verdict.PARK
        if verdict is Verdict.PARK:
            reason = f"batch {flight.batch} parked (kept on the hub): {answer.reason}"
            done = await self._write(
                lambda c: tables.park(c, cursor, answer.status, answer.reason, hk.rfc3339(now))
            )
            self._cursors[stream.name] = done
            s.parked += 1
            self._error(reason)
            await self._refresh()
            return Verdict.PARK
        await self._save(cursor.failed())
        s.failures += 1
        if verdict is Verdict.HALT:
            s.halted = True
            s.next_try = None
            self._error(
                f"sync stopped: {answer.reason} (fix the cloud settings, then restart the hub "
                "or run 'cimaise hub sync now')"
            )
        else:
            s.next_try = now + timedelta(seconds=decision.delay)
            self._next_try = time.monotonic() + decision.delay
            self._error(f"{answer.reason}; next try in {decision.delay:.1f} s")
        await self._heartbeat(force=True)
        return verdict

    # chores ----------------------------------------------------------------------------
    async def housekeeping(self) -> None:
        """Count finished days' flows, purge old pseudonyms, apply retention and budget."""
        assert self._store is not None
        on = self.status.enabled
        await run_chores(
            StoreAccess(self._store),
            self._settings,
            self.status,
            now=self._clock(),
            events_upto=self._cursors["events"].position if on else None,
            flows_upto=self._cursors["flows"].position if on else None,
            grace=self.options.flow_grace,
            chunk=self.options.delete_chunk,
        )
        await self._refresh()

    # state -----------------------------------------------------------------------------
    async def _refresh(self) -> None:
        self._next_refresh = time.monotonic() + 1.0
        events, flows = self._cursors.get("events"), self._cursors.get("flows")
        if events is None or flows is None:
            return

        def read(c: sqlite3.Connection) -> tuple[int, int, str | None, int, int]:
            return (
                self._streams[0].backlog(c, events.position),
                self._streams[1].backlog(c, flows.position),
                hk.unsynced_oldest(c, events.position),
                tables.parked_count(c),
                hk.used_bytes(c),
            )

        s = self.status
        backlog, flow_backlog, s.oldest_unsynced, s.parked, s.disk_used_bytes = await self._read(
            read
        )
        s.backlog = backlog if s.enabled else 0
        s.flow_backlog = flow_backlog if s.enabled else 0

    async def _heartbeat(self, force: bool = False) -> None:
        if not force and time.monotonic() < self._next_heartbeat:
            return
        self._next_heartbeat = time.monotonic() + self.options.heartbeat_s
        self.status.alive = self._clock()
        snapshot = self.status.to_dict()
        await self._write(lambda c: tables.save_status(c, snapshot))

    async def _take_requests(self) -> None:
        pending = await self._read(tables.pending_requests)
        if not pending:
            return
        log.info("sync requested from the command line")
        self.wake()
        if any(parked for _, parked in pending) and self.status.enabled:
            await self.retry_parked()
        now = hk.rfc3339(self._clock())
        ids = [request for request, _ in pending]
        await self._write(lambda c: tables.mark_handled(c, ids, now))

    async def retry_parked(self) -> int:
        """Send every parked batch again (same id, same range); returns how many went.

        For after the receiver was fixed: a delivered one is forgotten, a refused one
        stays parked with the new answer. The cursor does not move.
        """
        assert self._session is not None and self._settings.cloud_url
        delivered = 0
        streams = {s.name: s for s in self._streams}
        for batch, name, first, last in await self._read(tables.parked_batches):
            stream = streams.get(name)
            if stream is None:
                continue
            cursor = StreamCursor(name, first - 1, InFlight(batch, first, last))
            prepared = await self._prepare(stream, cursor)
            if prepared is None or prepared.records == 0:
                await self._write(functools.partial(tables.unpark, batch=batch))
                continue
            stamp = int(self._clock().timestamp())
            hdrs = headers(self._settings.site, batch, stamp, prepared.body, self._secret)
            answer = await post_batch(self._session, self._settings.cloud_url, prepared.body, hdrs)
            if answer.status is not None and 200 <= answer.status < 300:
                await self._write(functools.partial(tables.unpark, batch=batch))
                self.status.sent_batches += 1
                self.status.sent_records += prepared.records
                delivered += 1
                log.info("parked batch %s delivered", batch)
            else:
                await self._write(
                    functools.partial(
                        tables.note_parked_error,
                        batch=batch,
                        status=answer.status,
                        error=answer.reason,
                    )
                )
                self._error(f"parked batch {batch} refused again: {answer.reason}")
        await self._refresh()
        return delivered

    # store access ----------------------------------------------------------------------
    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        assert self._store is not None
        return await StoreAccess(self._store).read(fn)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        assert self._store is not None
        return await self._store.run_write(fn)

    async def _save(self, cursor: StreamCursor) -> None:
        await self._write(lambda c: tables.save_cursor(c, cursor))
        self._cursors[cursor.stream] = cursor


async def _cancel(task: asyncio.Task[T]) -> None:
    """Cancel a task and wait until it has ended; a task already done is left as it is."""
    if task.done():
        if not task.cancelled():
            task.exception()  # marks it retrieved: a failure was raised where it was awaited
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _next_or_none(
    queue: asyncio.Queue[_Prepared | None], producer: asyncio.Task[None]
) -> _Prepared | None:
    """The next prepared batch, or None once the producer has ended with nothing more."""
    if not queue.empty():
        return queue.get_nowait()
    getter = asyncio.create_task(queue.get())
    done, _ = await asyncio.wait({getter, producer}, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        return getter.result()
    getter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await getter
    return queue.get_nowait() if not queue.empty() else None


SYNC: Final = web.AppKey("sync", SyncWorker)


def setup_sync(app: web.Application, options: SyncOptions | None = None) -> SyncWorker:
    """Register the sync worker and its cleanup context on the hub's app (after the store).

    Calling it again (e.g. a test tuning the options of an app that already has the
    worker) only replaces the options.
    """
    worker = app.get(SYNC)
    if worker is not None:
        if options is not None:
            worker.options = options
        return worker
    worker = SyncWorker(options)
    app[SYNC] = worker
    app.cleanup_ctx.append(sync_ctx)
    return worker


async def sync_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: start the worker on the app's store and settings, stop it at exit."""
    worker = app.get(SYNC)
    if worker is None:
        worker = SyncWorker()
        app[SYNC] = worker
    await worker.start(app[STORE], app[SETTINGS])
    metrics = app.get(METRICS)
    collector = SyncCollector(lambda: worker.status)
    if metrics is not None:
        metrics.registry.register(collector)
    worker.launch()
    try:
        yield
    finally:
        await worker.stop()
        if metrics is not None:
            metrics.registry.unregister(collector)
