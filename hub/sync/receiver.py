"""The reference receiver of the batch protocol: verify, store each batch once, then 2xx.

An aiohttp app factory, ``create_receiver_app(data, secret)``. A batch is checked in
this order: headers present (400), timestamp within the window (401), signature
(401), gzip body (415/413), one JSON object with ``type`` and ``id`` per line (400).
It is then stored in ``DIR/receiver.db`` (SQLite, WAL, ``synchronous=FULL``) in one
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
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Final

import msgspec
from aiohttp import web

from hub.sync.batching import signature_ok

log = logging.getLogger(__name__)

DB_NAME: Final = "receiver.db"
MAX_BODY_BYTES: Final = 32 * 1024 * 1024
MAX_DECOMPRESSED_BYTES: Final = 256 * 1024 * 1024
DEFAULT_WINDOW_S: Final = 300.0


class _Line(msgspec.Struct):
    type: str
    id: str


_line_decoder: Final = msgspec.json.Decoder(_Line)


class BatchRefused(Exception):
    """Raised inside the receiver when a batch is refused; becomes a problem response."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


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


def _decompress(body: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(body, MAX_DECOMPRESSED_BYTES)
    except zlib.error as exc:
        raise BatchRefused(400, "bad-gzip", f"the body is not gzip: {exc}") from None
    if inflater.unconsumed_tail:
        raise BatchRefused(413, "too-large", "the decompressed body is too large")
    if not inflater.eof:
        raise BatchRefused(400, "bad-gzip", "the gzip body is truncated")
    return out


_lines_decoder: Final = msgspec.json.Decoder(list[_Line])


def count_records(ndjson: bytes) -> int:
    """How many records a batch holds; refuses one whose lines are not such objects.

    Every line must be a JSON object with a string ``type`` and ``id``. The whole body
    is checked in one decode (as a JSON array of its lines); only a refused body is
    walked line by line, to name the first bad line.
    """
    text = ndjson.rstrip(b"\n")
    if not text:
        return 0
    lines = text.count(b"\n") + 1
    try:
        if len(_lines_decoder.decode(b"[" + text.replace(b"\n", b",") + b"]")) == lines:
            return lines
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    for number, line in enumerate(text.split(b"\n"), start=1):
        try:
            _line_decoder.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BatchRefused(400, "bad-record", f"line {number}: {exc}") from None
    raise BatchRefused(400, "bad-record", "the body is not NDJSON")


def check_batch(
    headers: dict[str, str], body: bytes, secret: bytes, now: float, window_s: float
) -> tuple[str, str, int]:
    """Verify one request; returns ``(site, batch, record count)`` or raises BatchRefused."""
    missing = [
        name
        for name in ("Cimaise-Site", "Cimaise-Batch", "Cimaise-Timestamp", "Cimaise-Signature")
        if not headers.get(name)
    ]
    if missing:
        raise BatchRefused(400, "missing-header", f"missing header(s): {', '.join(missing)}")
    stamp = headers["Cimaise-Timestamp"]
    try:
        sent = int(stamp)
    except ValueError:
        raise BatchRefused(400, "bad-timestamp", "Cimaise-Timestamp is not Unix seconds") from None
    if abs(now - sent) > window_s:
        raise BatchRefused(
            401,
            "stale-timestamp",
            f"Cimaise-Timestamp is {now - sent:+.0f} s away from the receiver's clock "
            f"(window {window_s:.0f} s): check both clocks",
        )
    if not signature_ok(secret, stamp, body, headers["Cimaise-Signature"]):
        raise BatchRefused(
            401, "bad-signature", "the signature does not match: check the shared secret"
        )
    if headers.get("Content-Encoding", "").lower() != "gzip":
        raise BatchRefused(415, "not-gzip", "the body must be sent with Content-Encoding: gzip")
    return headers["Cimaise-Site"], headers["Cimaise-Batch"], count_records(_decompress(body))


STORE: Final = web.AppKey("received_batches", ReceivedBatches)


def create_receiver_app(
    data: Path,
    secret: str,
    *,
    window_s: float = DEFAULT_WINDOW_S,
    clock: Callable[[], float] = time.time,
) -> web.Application:
    """The receiver's aiohttp application, storing into ``data/receiver.db``."""
    key = secret.encode()
    # The signature covers the body as sent: aiohttp must not inflate it first.
    app = web.Application(client_max_size=MAX_BODY_BYTES, handler_args={"auto_decompress": False})

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name: request.headers.get(name, "") for name in _HEADERS}
        try:
            site, batch, records = check_batch(headers, body, key, clock(), window_s)
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


_HEADERS: Final = (
    "Cimaise-Site",
    "Cimaise-Batch",
    "Cimaise-Timestamp",
    "Cimaise-Signature",
    "Content-Encoding",
)
