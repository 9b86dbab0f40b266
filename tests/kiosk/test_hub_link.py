"""The kiosk against a real hub on loopback: pairing, content download, events, screenshot,
revocation and pairing again from the technician screen.

The hub runs in the test's event loop (aiohttp's test server, the real app with the demo
exhibition); the kiosk runs in its own process under Xvfb and is driven from a worker
thread, so the hub keeps serving while the test waits for the kiosk.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image

from cimaise.settings import Settings, demo_content_dir
from hub.api.devices import screenshot_path
from hub.app import DB_NAME, create_app
from hub.client.credentials import credentials_path, load_credentials
from hub.export import export_lines, open_readonly
from hub.keys import CONTENT, DEVICES
from tests.kiosk.conftest import KioskProcess, closed_port

pytestmark = [pytest.mark.display, pytest.mark.slow]
ServerFactory = Callable[..., Awaitable[TestServer]]


async def until(
    probe: Callable[[], Awaitable[Any]], check: Callable[[Any], bool], timeout: float, what: str
) -> Any:
    """Poll ``probe`` until ``check`` passes; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    value = await probe()
    while not check(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {value!r}"[:5000])
        await asyncio.sleep(0.2)
        value = await probe()
    return value


def stored_interactions(data: Path) -> list[dict[str, Any]]:
    conn = open_readonly(data / DB_NAME)
    try:
        return [json.loads(line) for line in export_lines(conn, types=["interaction"])]
    finally:
        conn.close()


async def test_kiosk_pairs_downloads_content_and_its_interactions_arrive_once(
    aiohttp_server: ServerFactory, tmp_path: Path, display: str
) -> None:
    settings = Settings(
        data=tmp_path / "hub", content=demo_content_dir(), zeroconf=False, port=closed_port()
    )
    app: web.Application = create_app(settings)
    server = await aiohttp_server(app, host="127.0.0.1", port=settings.port)
    hub_url = str(server.make_url("")).rstrip("/")
    published = await until(  # the hub publishes its bundle in the background
        lambda: asyncio.sleep(0, app[CONTENT].current),
        lambda content: content is not None,
        120,
        "the hub's published content",
    )
    version = published.manifest.version
    code = await app[DEVICES].create_pairing_code("kiosk", "kiosk-test", None)
    state = tmp_path / "kiosk"

    kiosk = await asyncio.to_thread(
        KioskProcess, display, state, "--hub", hub_url, "--pair", code.code, "--heartbeat", "1"
    )

    async def send(cmd: str, **args: Any) -> dict[str, Any]:
        return await asyncio.to_thread(kiosk.send, cmd, **args)

    try:
        # enrolled with the code, token kept 0600, the exhibition downloaded and shown
        shown = await until(
            lambda: send("advance", seconds=0),
            lambda s: s["content_version"] == version,
            90,
            "the hub's content on screen",
        )
        assert shown["screen"] == "attract" and shown["link"] == "online"
        assert credentials_path(state).stat().st_mode & 0o777 == 0o600
        device_id = load_credentials(state).device_id  # type: ignore[union-attr]

        # a visitor: every interaction reaches the hub exactly once
        await send("tap", x=640, y=400)
        await send("tap", card=0)
        await send("tap", text="FR")
        await send("tap", text="‹  Retour")
        visited = await send("tap", card=2)
        notes = visited["notes"]
        assert [n["action"] for n in notes] == [
            "session_start",
            "view_artwork",
            "language",
            "view_artwork",
        ]
        stored = await until(
            lambda: asyncio.to_thread(stored_interactions, settings.data),
            lambda rows: len(rows) >= len(notes),
            30,
            "interactions stored on the hub",
        )
        await asyncio.sleep(2.5)  # more flushes and heartbeats: nothing arrives twice
        stored = await asyncio.to_thread(stored_interactions, settings.data)
        assert len({r["id"] for r in stored}) == len(stored) == len(notes)
        assert [(r["action"], r["session"], r.get("artwork")) for r in stored] == [
            (n["action"], n["session"], n["artwork"]) for n in notes
        ]
        assert {r["device_id"] for r in stored} == {device_id}

        # remote view: the hub asks in a heartbeat reply, the kiosk sends a small PNG
        app[DEVICES].request_screenshot(device_id)
        png = screenshot_path(settings.data, device_id)
        await until(lambda: asyncio.to_thread(png.exists), bool, 15, "the screenshot")
        await asyncio.sleep(0.3)
        with Image.open(io.BytesIO(png.read_bytes())) as picture:
            assert picture.format == "PNG" and picture.size[0] <= 640
            assert max(picture.convert("L").getextrema()) > 100  # not a blank frame

        # revoked: the technician screen comes back (no error for visitors)
        await app[DEVICES].revoke(device_id)
        revoked = await until(
            lambda: send("state"), lambda s: s["screen"] == "technician", 20, "technician screen"
        )
        assert not revoked["paired"] and revoked["session"] is None
        assert not credentials_path(state).exists()

        # a technician types a new code on the on-screen keypad
        again = await app[DEVICES].create_pairing_code("kiosk", "kiosk-test", None)
        for char in again.code:
            await send("tap", text=char)
        await send("tap", text="Pair")
        paired = await until(
            lambda: send("state"),
            lambda s: s["screen"] == "attract" and s["paired"],
            20,
            "pairing again",
        )
        assert paired["link"] == "online"
        assert load_credentials(state) is not None
    finally:
        await asyncio.to_thread(kiosk.close)
