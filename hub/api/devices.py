"""Device routes: enrollment, heartbeats, screenshots."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import msgspec
from aiohttp import web

from hub.api.auth import require_device
from hub.api.limits import enforce_rate, read_limited
from hub.api.problems import ApiProblem, decode_body
from hub.client.wire import EnrollRequest, HeartbeatReply, HeartbeatRequest
from hub.devices.registry import PairingCodeUsedError
from hub.keys import CONTENT, DEVICES, KEYRING, PAIRING_LIMIT, SETTINGS
from hub.store import rfc3339

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

HEARTBEAT_INTERVAL_S = 30.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A full-HD kiosk screen as PNG can pass the API's usual body limit.
SCREENSHOT_MAX_BYTES = 16 * 1024 * 1024


@routes.post("/api/v1/devices/enroll")
async def enroll(request: web.Request) -> web.Response:
    """Exchange a pairing code for a device id and token."""
    enforce_rate(request, request.app[PAIRING_LIMIT], "too_many_attempts", "pairing attempts")
    body = decode_body(await request.read(), EnrollRequest)
    try:
        enrollment = await request.app[DEVICES].enroll(body.code, body.kind, body.name)
    except PairingCodeUsedError as exc:
        raise ApiProblem(409, "pairing_code_used", str(exc)) from None
    return web.Response(
        body=msgspec.json.encode(enrollment), status=201, content_type="application/json"
    )


@routes.post("/api/v1/devices/heartbeat")
async def heartbeat(request: web.Request) -> web.Response:
    """Record a device's status; answer with its zone, content version and (agents) key."""
    device = require_device(request)
    beat = decode_body(await request.read(), HeartbeatRequest)
    registry = request.app[DEVICES]
    await registry.record_heartbeat(device, beat)
    content = request.app[CONTENT].current
    reply = HeartbeatReply(
        content_version=content.etag if content is not None else None,
        screenshot_requested=registry.take_screenshot_request(device.id),
        zone=device.zone,
        interval_s=HEARTBEAT_INTERVAL_S,
    )
    if device.kind == "beacon":
        key = request.app[KEYRING].current(registry.clock())
        reply = msgspec.structs.replace(
            reply, pseudonym_key=key.key.hex(), key_id=key.key_id, key_expires=rfc3339(key.expires)
        )
    return web.Response(
        body=msgspec.json.encode(reply),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def screenshot_path(data: Path, device_id: str) -> Path:
    """Where the latest screenshot of a kiosk is kept."""
    return data / "screenshots" / f"{device_id}.png"


@routes.post("/api/v1/devices/screenshot")
async def screenshot(request: web.Request) -> web.Response:
    """Keep the latest screenshot (PNG) a kiosk sent."""
    device = require_device(request)
    data = await read_limited(
        request, SCREENSHOT_MAX_BYTES, f"a screenshot may have at most {SCREENSHOT_MAX_BYTES} bytes"
    )
    if not data.startswith(PNG_SIGNATURE):
        raise ApiProblem(415, "not_png", "a screenshot must be a PNG image")
    path = screenshot_path(request.app[SETTINGS].data, device.id)
    await asyncio.to_thread(_write_atomically, path, data)
    log.info("screenshot of device %s kept (%d bytes)", device.id, len(data))
    return web.Response(status=204)


def online_window() -> timedelta:
    """How recent a heartbeat must be for a device to count as online."""
    return timedelta(seconds=3 * HEARTBEAT_INTERVAL_S)
