"""Devices: the list (live), pairing codes with a QR code, rename, move, revoke, screenshots."""

from __future__ import annotations

import asyncio
import re

import segno
from aiohttp import web
from markupsafe import Markup

from cimaise.errors import PairingError
from hub.api.devices import online_window, screenshot_path
from hub.keys import DEVICES, SETTINGS
from hub.web import queries
from hub.web.auth import SESSION_KEY, page
from hub.web.content_state import zone_choices
from hub.web.health import device_status
from hub.web.render import SECURITY_HEADERS, render
from hub.web.state import WEB

routes = web.RouteTableDef()

_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def _rows(request: web.Request) -> list[dict[str, object]]:
    state = request.app[WEB]
    data = request.app[SETTINGS].data
    now = state.clock()

    def read() -> list[dict[str, object]]:
        with state.store.read() as conn:
            devices = queries.devices(conn)
        return [
            {
                "d": d,
                "status": device_status(d.last_seen, d.revoked, now, online_window()),
                "shot": d.kind == "kiosk" and screenshot_path(data, d.id).is_file(),
            }
            for d in devices
        ]

    return await asyncio.to_thread(read)


async def _page(
    request: web.Request, *, message: str = "", error: str = "", status: int = 200
) -> web.Response:
    state = request.app[WEB]
    return render(
        state.templates, "devices.html", session=request[SESSION_KEY], active="devices",
        title="Devices", rows=await _rows(request), zones=zone_choices(request.app),
        message=message, error=error, status=status,
    )


@routes.get("/admin/devices")
@page
async def devices_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@routes.get("/admin/devices/table")
@page
async def devices_table(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB]
    return render(state.templates, "devices_table.html", session=request[SESSION_KEY],
                  rows=await _rows(request), zones=zone_choices(request.app))


@routes.post("/admin/devices/pair")
@page
async def make_pairing_code(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB]
    form = await request.post()
    kind = str(form.get("kind", ""))
    name = str(form.get("name", "")).strip()[:100]
    zone = str(form.get("zone", "")) or None
    try:
        code = await request.app[DEVICES].create_pairing_code(kind, name, zone)  # type: ignore[arg-type]
    except PairingError as exc:
        return await _page(request, error=str(exc).capitalize() + ".", status=400)
    qr = segno.make(code.code, error="m")
    svg = qr.svg_inline(scale=8, dark="#000000", light="#ffffff", title=f"QR code of {code.code}")
    return render(
        state.templates, "pairing.html", session=request[SESSION_KEY], active="devices",
        title="Pairing code", code=code, qr=Markup(svg),  # noqa: S704 (segno's own SVG, no content)
        expires=code.expires.astimezone(state.tz).strftime("%H:%M"),
    )


def _device_id(request: web.Request) -> str:
    device_id = request.match_info["device_id"]
    if not _DEVICE_ID.match(device_id):
        raise web.HTTPNotFound()
    return device_id


@routes.post("/admin/devices/{device_id}/{action:rename|zone|revoke|screenshot}")
@page
async def device_action(request: web.Request) -> web.StreamResponse:
    device_id = _device_id(request)
    action = request.match_info["action"]
    registry = request.app[DEVICES]
    form = await request.post()
    device = registry.get(device_id)
    if device is None:
        return await _page(request, error="No such device.", status=404)
    try:
        if action == "rename":
            await registry.rename(device_id, str(form.get("name", ""))[:100])
            message = f"Renamed to “{str(form.get('name', '')).strip()}”."
        elif action == "zone":
            zone = str(form.get("zone", "")) or None
            await registry.move_zone(device_id, zone)
            message = f"“{device.name}” moved to {zone or 'no zone'}."
        elif action == "revoke":
            await registry.revoke(device_id)
            message = f"“{device.name}” revoked: it must be paired again."
        else:
            registry.request_screenshot(device_id)
            message = f"A new screenshot of “{device.name}” comes with its next heartbeat."
    except PairingError as exc:
        return await _page(request, error=str(exc).capitalize() + ".", status=400)
    if request.headers.get("HX-Request"):
        return await devices_table(request)
    return await _page(request, message=message)


@routes.get("/admin/devices/{device_id}/screenshot.png")
@page
async def device_screenshot(request: web.Request) -> web.StreamResponse:
    path = screenshot_path(request.app[SETTINGS].data, _device_id(request))
    if not path.is_file():
        raise web.HTTPNotFound()
    response = web.FileResponse(path, headers={"Content-Type": "image/png"})
    response.headers.update(SECURITY_HEADERS)
    return response
