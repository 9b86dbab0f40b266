"""Overview: devices online, today's counts, sync state, disk budget, warnings."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from aiohttp import web

from hub.api.devices import online_window
from hub.keys import SETTINGS
from hub.web import analytics, queries
from hub.web.auth import SESSION_KEY, page
from hub.web.content_state import content_summary
from hub.web.health import device_status, warnings
from hub.web.render import render
from hub.web.state import WEB
from hub.web.sync_state import sync_summary

routes = web.RouteTableDef()


@dataclasses.dataclass(frozen=True, slots=True)
class Overview:
    online: int
    offline: int
    revoked: int
    counts: analytics.DayCounts
    store_mb: float
    budget_mb: int
    sync: dict[str, Any]
    content: dict[str, Any]
    warnings: list[Any]


async def gather(app: web.Application) -> Overview:
    """Everything the overview shows, read off the event loop."""
    state = app[WEB]
    settings = app[SETTINGS]
    now = state.clock()
    sync = sync_summary(app)
    content = content_summary(app)
    await state.analytics_current()

    def read() -> Overview:
        with state.store.read() as conn:
            devices = queries.devices(conn)
            beacons = queries.beacon_health(conn)
            counts = analytics.day_counts(conn, now.astimezone(state.tz).date())
        statuses = [device_status(d.last_seen, d.revoked, now, online_window()) for d in devices]
        store_bytes = state.store.size_bytes()
        return Overview(
            online=statuses.count("online"),
            offline=statuses.count("offline") + statuses.count("never"),
            revoked=statuses.count("revoked"),
            counts=counts,
            store_mb=store_bytes / 1e6,
            budget_mb=settings.disk_budget_mb,
            sync=sync,
            content=content,
            warnings=warnings(
                devices,
                beacons,
                content["fixed_beacons"],
                now,
                sync_error=sync.get("last_error") if sync.get("failing") else None,
                sync_failures=int(sync.get("failures", 0)),
                store_bytes=store_bytes,
                budget_bytes=settings.disk_budget_mb * 1_000_000,
                content_error=content.get("error"),
            ),
        )

    return await asyncio.to_thread(read)


@routes.get("/admin/")
@page
async def overview(request: web.Request) -> web.StreamResponse:
    data = await gather(request.app)
    return render(request.app[WEB].templates, "overview.html", session=request[SESSION_KEY],
                  active="overview", o=data, title="Overview")


@routes.get("/admin/overview/live")
@page
async def overview_live(request: web.Request) -> web.StreamResponse:
    data = await gather(request.app)
    return render(request.app[WEB].templates, "overview_live.html", session=request[SESSION_KEY],
                  o=data)
