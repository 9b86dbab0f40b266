"""The reference receiver of the batch protocol: verify, store each batch once, then 2xx.

An aiohttp app factory, ``create_receiver_app(data, secret)``. A batch is checked by
``hub.sync.verify.check_batch`` (headers, timestamp window, signature, gzip NDJSON),
then stored in ``DIR/receiver.db`` (SQLite, WAL, ``synchronous=FULL``) in one
transaction keyed by (site, batch id): the answer is 200 ``stored`` only after the
commit, and a batch id seen before gets 200 ``duplicate`` without storing anything.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Final

from aiohttp import web

from hub.sync.verify import (
    DEFAULT_WINDOW_S,
    HEADERS,
    MAX_DECOMPRESSED_BYTES,
    BatchRefused,
    check_batch,
)

log = logging.getLogger(__name__)

DB_NAME: Final = "receiver.db"
MAX_BODY_BYTES: Final = 32 * 1024 * 1024


def problem(status: int, code: str, detail: str) -> web.Response:
    """An RFC 9457 problem-details response with a stable machine code."""
    body = {"type": f"urn:cimaise:sync:{code}", "title": code, "status": status, "detail": detail}
    return web.json_response(body, status=status, content_type="application/problem+json")


class ReceivedBatches:
    """The receiver's SQLite file: every batch once, as sent (gzip NDJSON), in arrival order.

    Keeping the body as sent keeps the receiver's own work small and lets anyone check
    the signature again later; ``read_records`` unpacks the records for exports.
    """

    def __init__(self, data: Path) -> None:
        data.mkdir(parents=True, exist_ok=True)
        self.path = data / DB_NAME
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS batches (n INTEGER PRIMARY KEY, site TEXT NOT NULL, "
            "batch TEXT NOT NULL, received TEXT NOT NULL, records INTEGER NOT NULL, "
            "body BLOB NOT NULL, UNIQUE (site, batch))"
        )

    def store(self, site: str, batch: str, records: int, body: bytes) -> bool:
        """Store a batch once (committed on return); False when it was already stored."""
        received = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO batches(site, batch, received, records, body) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (site, batch, received, records, body),
            )
        return cur.rowcount == 1

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()


def read_records(data: Path, after: int = 0) -> Iterator[tuple[int, str]]:
    """``(n, line)`` of every stored record after the ``n``-th, in arrival order (exports)."""
    conn = sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True)
    try:
        n = 0
        for (body,) in conn.execute("SELECT body FROM batches ORDER BY n"):
            for line in gzip.decompress(body).decode().splitlines():
                if line.strip():
                    n += 1
                    if n > after:
                        yield n, line
    finally:
        conn.close()


STORE: Final = web.AppKey("received_batches", ReceivedBatches)


def create_receiver_app(
    data: Path,
    secret: str,
    *,
    window_s: float = DEFAULT_WINDOW_S,
    max_decompressed: int = MAX_DECOMPRESSED_BYTES,
    clock: Callable[[], float] = time.time,
) -> web.Application:
    """The receiver's aiohttp application, storing into ``data/receiver.db``."""
    key = secret.encode()
    # The signature covers the body as sent: aiohttp must not inflate it first.
    app = web.Application(client_max_size=MAX_BODY_BYTES, handler_args={"auto_decompress": False})

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name: request.headers.get(name, "") for name in HEADERS}
        try:
            site, batch, records = check_batch(
                headers, body, key, clock(), window_s, max_decompressed
            )
        except BatchRefused as refused:
            log.warning("batch refused (%d %s): %s", refused.status, refused.code, refused.detail)
            return problem(refused.status, refused.code, refused.detail)
        stored = await asyncio.to_thread(app[STORE].store, site, batch, records, body)
        status = "stored" if stored else "duplicate"
        log.info("batch %s from %s: %s (%d records)", batch, site, status, records)
        return web.json_response({"status": status, "batch": batch, "records": records})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def open_store(app: web.Application) -> AsyncIterator[None]:
        app[STORE] = await asyncio.to_thread(ReceivedBatches, data)
        yield
        app[STORE].close()

    app.cleanup_ctx.append(open_store)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/{tail:.*}", receive)
    return app
