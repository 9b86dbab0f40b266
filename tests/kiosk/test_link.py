"""The kiosk's hub link without a window: content download and staging, events once.

A real hub app on loopback (aiohttp's test server) with a small exhibition made on the
fly; the link's screen side is a recorder of what the app would be told.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from cimaise.settings import Settings
from hub.app import DB_NAME, create_app
from hub.client.api import HubClient, MediaHashMismatchError
from hub.client.device import LinkState
from hub.export import export_lines, open_readonly
from hub.keys import DEVICES, SETTINGS
from kiosk.cache import ContentCache
from kiosk.link import KioskLink
from kiosk.session import Session
from tests.kiosk.conftest import closed_port
from tests.kiosk.exhibition import build_exhibition

ServerFactory = Callable[..., Awaitable[TestServer]]


class ScreenRecorder:
    """What the link tells the kiosk app, kept for the test to read."""

    def __init__(self) -> None:
        self.told: list[tuple[str, Any]] = []

    def status(self) -> dict[str, object]:
        return {"screen": "attract", "in_session": False}

    def pairing_needed(self, details: str = "") -> None:
        self.told.append(("pairing_needed", details))

    def pairing_result(self, ok: bool, message: str) -> None:
        self.told.append(("pairing_result", ok))

    def hub_found(self, url: str) -> None:
        self.told.append(("hub_found", url))

    def capture_png(self, max_width: int = 640) -> bytes:
        return b"\x89PNG\r\n\x1a\n"


async def wait_for(check: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def hub(aiohttp_server: ServerFactory, tmp_path: Path) -> tuple[web.Application, str]:
    settings = Settings(
        data=tmp_path / "hub", content=tmp_path / "none", zeroconf=False, port=closed_port()
    )
    app = create_app(settings)
    server = await aiohttp_server(app, host="127.0.0.1", port=settings.port)
    return app, str(server.make_url("")).rstrip("/")


async def test_new_content_is_downloaded_checked_and_staged_once(tmp_path: Path) -> None:
    _, raw, media = build_exhibition("v7")
    served: dict[str, bytes] = media

    async def manifest_route(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v7"':
            return web.Response(status=304)
        return web.Response(body=raw, content_type="application/json", headers={"ETag": '"v7"'})

    async def media_route(request: web.Request) -> web.Response:
        return web.Response(body=served[request.match_info["sha"]])

    content_app = web.Application()
    content_app.router.add_get("/api/v1/content/manifest", manifest_route)
    content_app.router.add_get("/api/v1/media/{sha}", media_route)
    # the content part of the hub's API, serving this exhibition exactly
    server = TestServer(content_app, host="127.0.0.1", port=closed_port())
    await server.start_server()
    try:
        cache = ContentCache(tmp_path / "kiosk" / "content")
        link = KioskLink(ScreenRecorder(), cache, state_dir=tmp_path / "kiosk", name="k")
        async with HubClient(str(server.make_url("")).rstrip("/"), "t" * 32) as client:
            assert await link.update_content(client)
            staged = cache.staged()
            assert staged is not None and staged.version == "v7"
            assert cache.current() is None  # not on screen until promoted
            assert not await link.update_content(client)  # 304: nothing downloaded again
            assert cache.promote() is not None and cache.current_version() == "v7"
        await asyncio.to_thread(link.outbox.close)
    finally:
        await server.close()


async def test_content_with_a_damaged_media_file_is_not_staged(tmp_path: Path) -> None:
    manifest, raw, media = build_exhibition("v8")
    damaged = manifest.artworks[0].image.variants["thumb"].sha256

    async def manifest_route(request: web.Request) -> web.Response:
        return web.Response(body=raw, content_type="application/json", headers={"ETag": '"v8"'})

    async def media_route(request: web.Request) -> web.Response:
        body = media[request.match_info["sha"]]
        if request.match_info["sha"] == damaged:
            body = body[:-1] + bytes([body[-1] ^ 0xFF])  # same size, other bytes
        return web.Response(body=body)

    content_app = web.Application()
    content_app.router.add_get("/api/v1/content/manifest", manifest_route)
    content_app.router.add_get("/api/v1/media/{sha}", media_route)
    server = TestServer(content_app, host="127.0.0.1", port=closed_port())
    await server.start_server()
    try:
        cache = ContentCache(tmp_path / "kiosk" / "content")
        link = KioskLink(ScreenRecorder(), cache, state_dir=tmp_path / "kiosk", name="k")
        async with HubClient(str(server.make_url("")).rstrip("/"), "t" * 32) as client:
            with pytest.raises(MediaHashMismatchError):
                await link.update_content(client)
        assert cache.staged() is None and cache.current() is None
        assert not any(p.name.startswith(damaged) for p in cache.media_dir.iterdir())
        await asyncio.to_thread(link.outbox.close)
    finally:
        await server.close()


async def test_interactions_from_session_notes_reach_the_hub_once(
    hub: tuple[web.Application, str], tmp_path: Path
) -> None:
    app, url = hub
    code = await app[DEVICES].create_pairing_code("kiosk", "kiosk-1", None)
    screen = ScreenRecorder()
    cache = ContentCache(tmp_path / "kiosk" / "content")
    link = KioskLink(
        screen,
        cache,
        state_dir=tmp_path / "kiosk",
        name="kiosk-1",
        hub_url=url,
        pair_code=code.code,
        heartbeat_s=0.2,
    )
    task = asyncio.create_task(link.run())
    try:
        await wait_for(lambda: link.device.state is LinkState.ONLINE, 10, "the link online")
        session = Session(["en", "fr"], "en")
        notes = [*session.touch(0.0), *session.open_artwork("wave", 1.0)]
        notes += session.set_language("fr", 2.0)
        link.record(notes)
        assert await link.device.flushed(10)
        await asyncio.sleep(0.5)  # heartbeats and flushes again: nothing sent twice
        conn = open_readonly(app[SETTINGS].data / DB_NAME)
        rows = [json.loads(line) for line in export_lines(conn, types=["interaction"])]
        conn.close()
        assert [(r["action"], r["session"]) for r in rows] == [(n.action, n.session) for n in notes]
        assert rows[1]["artwork"] == "wave" and rows[2]["language"] == "fr"
        # the app learnt the hub's URL, for the artwork screen's "take it home" QR
        assert ("hub_found", url) in screen.told
    finally:
        link.stop()
        await task
