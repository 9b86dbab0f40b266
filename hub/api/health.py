"""Operations routes: ``/healthz`` for monitors and ``/metrics`` for Prometheus."""

from __future__ import annotations

import shutil
import sqlite3

from aiohttp import web

from cimaise import __version__
from cimaise.errors import StoreUnavailableError
from hub.api.devices import online_window
from hub.keys import CONTENT, DEVICES, HUB_ID, METRICS, SETTINGS, STORE
from hub.metrics import CONTENT_TYPE

routes = web.RouteTableDef()

LOW_DISK_BYTES = 64 * 1024 * 1024


def _probe(conn: sqlite3.Connection) -> None:
    # A real write (a page rewritten and fsynced), so read-only or broken files show.
    conn.execute("UPDATE schema_versions SET version = version WHERE component = 'core'")


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """200 when the store commits; 503 with the reason when it cannot."""
    store = request.app[STORE]
    library = request.app[CONTENT]
    error: str | None = None
    try:
        await store.run_write(_probe)
    except StoreUnavailableError as exc:
        error = str(exc)
    error = error or store.last_error
    try:
        free: int | None = shutil.disk_usage(request.app[SETTINGS].data).free
    except OSError:
        free = None
    content = library.current
    content_error = library.last_error
    status = "ok"
    if content is None or content_error is not None or (free is not None and free < LOW_DISK_BYTES):
        status = "degraded"
    if error is not None:
        status = "unavailable"
    body = {
        "status": status,
        "version": __version__,
        "hub_id": request.app[HUB_ID],
        "site": request.app[SETTINGS].site,
        "store": {
            "writable": error is None,
            "error": error,
            "bytes": store.size_bytes(),
            "disk_free_bytes": free,
        },
        "content": {
            "version": content.etag if content is not None else None,
            "error": str(content_error) if content_error is not None else None,
        },
    }
    return web.json_response(
        body, status=503 if error else 200, headers={"Cache-Control": "no-store"}
    )


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Prometheus text: ingest counts, batch sizes, commit latency, devices, store size."""
    m = request.app[METRICS]
    store = request.app[STORE]
    registry = request.app[DEVICES]
    m.devices_online.set(registry.online_count(online_window()))
    m.devices_enrolled.set(len(registry.list_devices()))
    m.store_bytes.set(store.size_bytes())
    m.store_available.set(0 if store.last_error or not store.running else 1)
    return web.Response(body=m.render(), headers={"Content-Type": CONTENT_TYPE})
