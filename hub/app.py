"""The hub's application factory: ``create_app(settings) -> web.Application``.

Long-lived parts are set up and torn down in ``cleanup_ctx`` (store, content loading,
zeroconf), so tests get the same lifecycle as production.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from cimaise.errors import ContentError
from cimaise.settings import Settings
from hub.announce import Announcer
from hub.api import content, devices, events, health, openapi, public_events
from hub.api.problems import problem_middleware
from hub.content.library import ContentLibrary
from hub.devices.keyring import KeyRing
from hub.devices.ratelimit import TokenBuckets
from hub.devices.registry import DeviceRegistry
from hub.guide import routes as guide_routes
from hub.identity import load_hub_id
from hub.keys import (
    CONTENT,
    DEVICES,
    HUB_ID,
    KEYRING,
    METRICS,
    PAIRING_LIMIT,
    PUBLIC_LIMIT,
    SETTINGS,
    STORE,
)
from hub.metrics import HubMetrics
from hub.store import Store
from hub.web import routes as web_routes

log = logging.getLogger(__name__)

DB_NAME = "hub.db"


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    library: ContentLibrary | None = None,
) -> web.Application:
    """The hub's aiohttp application; ``store``/``library`` may be given (tests, tools)."""
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[problem_middleware])
    metrics = HubMetrics()
    store = store or Store(settings.data / DB_NAME)
    if store.observer is None:
        store.observer = metrics
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app[STORE] = store
    app[DEVICES] = DeviceRegistry(store)
    app[KEYRING] = KeyRing()  # a new pseudonym key at every hub start
    app[PAIRING_LIMIT] = TokenBuckets(capacity=10, refill_per_s=1 / 6)
    # A phone flushes every few seconds: 20 requests at once, then one every 2 s, per address.
    app[PUBLIC_LIMIT] = TokenBuckets(capacity=20, refill_per_s=0.5)
    app[CONTENT] = library or ContentLibrary(settings.content, settings.data / "content-cache")
    app[HUB_ID] = load_hub_id(settings.data)
    for module in (devices, events, public_events, content, health, openapi):
        app.router.add_routes(module.routes)
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(_content_ctx)
    _add_page_routes(app)
    if settings.zeroconf:
        app.cleanup_ctx.append(_announce_ctx)
    return app


def _add_page_routes(app: web.Application) -> None:
    """The mobile guide and the technicians' page, beside the device API.

    The page's ``web_ctx`` (its tables, the analytics follower) runs after the store's context.
    """
    app.router.add_routes(guide_routes.routes)
    app.router.add_routes(web_routes.routes)
    app.cleanup_ctx.append(web_routes.web_ctx)


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    store = app[STORE]
    await store.start()
    await store.start_ingest()  # now, not with the first device's batch
    log.info("store %s open", store.path)
    yield
    await store.close()


async def _content_ctx(app: web.Application) -> AsyncIterator[None]:
    library = app[CONTENT]

    async def load() -> None:
        try:
            await asyncio.to_thread(library.reload)
        except ContentError as exc:
            log.error("content not published: %s", exc)

    task = None if library.current is not None else asyncio.create_task(load())
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _announce_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    announcer = Announcer(
        host=settings.host, port=settings.port, site=settings.site, hub_id=app[HUB_ID]
    )
    await announcer.async_start()
    yield
    await announcer.async_stop()
