"""The technicians' web page as the hub mounts it: ``routes`` and ``web_ctx``.

In ``create_app``::

    app.router.add_routes(hub.web.routes.routes)
    app.cleanup_ctx.append(hub.web.routes.web_ctx)   # after the store's context
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from cimaise.errors import ContentError
from hub.keys import CONTENT, SETTINGS, STORE
from hub.store.migrations import apply_migrations
from hub.web import auth, content_edit, site_settings
from hub.web.follower import RollupFollower
from hub.web.render import make_environment
from hub.web.schema import COMPONENT, WEB_MIGRATIONS
from hub.web.state import WEB, WebState
from hub.web.views import analytics, content, devices, overview, sync, zones

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

routes = web.RouteTableDef()
for _module in (auth, overview, devices, content, zones, analytics, sync):
    for _route in _module.routes:
        assert isinstance(_route, web.RouteDef)
        routes.route(_route.method, _route.path, **_route.kwargs)(_route.handler)
routes.static("/admin/static", STATIC_DIR, append_version=False)


@routes.get("/admin")
async def admin_root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect("/admin/")


async def web_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the web tables, the page's state, the analytics rollup follower."""
    store = app[STORE]
    await store.run_write(lambda c: apply_migrations(c, COMPONENT, WEB_MIGRATIONS))
    state = app.get(WEB)
    if state is None:
        state = WebState(store=store, templates=make_environment())
        app[WEB] = state
    with store.read() as conn:
        stored = site_settings.read_all(conn)
        # Settings saved on the page apply from this start on, for every context after ours.
        effective = site_settings.effective_settings(app[SETTINGS], conn)
    if effective != app[SETTINGS]:
        changed = sorted(k for k in stored if k != "site_name")
        log.info("settings from the web page applied: %s", ", ".join(changed))
        app[SETTINGS] = effective
    state.templates.globals["site_name"] = stored.get("site_name") or ""
    await _follow_edited_content(app)
    follower = RollupFollower(store, state.tz)
    await follower.start()
    state.follower = follower
    try:
        yield
    finally:
        state.follower = None
        await follower.stop()


async def _follow_edited_content(app: web.Application) -> None:
    """Serve ``<data>/content`` when the packaged demo was edited on the page before."""
    library = app.get(CONTENT)
    if library is None:
        return
    data = app[SETTINGS].data
    edited = content_edit.editable_dir(library.bundle_dir, data)
    if edited == library.bundle_dir or not (edited / "exhibition.json").is_file():
        return
    library.bundle_dir = edited
    log.info("serving the content edited on the web page from %s", edited)
    try:
        await asyncio.to_thread(library.reload)
    except ContentError as exc:
        log.error("edited content not published: %s", exc)
