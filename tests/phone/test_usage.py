"""The phone's opt-in usage events against a real hub on loopback: sent once, or not at all."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer, unused_port

from cimaise.settings import Settings
from hub.app import create_app
from hub.keys import STORE
from phone.guide import VisitUsage
from phone.usage import flush_once, send_loop


async def start_bare_hub(tmp_path: Path) -> TestServer:
    settings = Settings(data=tmp_path / "hub", content=tmp_path / "none", zeroconf=False)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    return server


def stored_ids(server: TestServer) -> list[str]:
    with server.app[STORE].read() as conn:
        return [r[0] for r in conn.execute("SELECT id FROM events ORDER BY seq")]


def noted(usage: VisitUsage, opted_in: bool) -> list[str]:
    made = [
        usage.note(opted_in, "view_artwork", artwork="wave", screen="near", language="en"),
        usage.note(opted_in, "zoom", artwork="wave", screen="artwork"),
        usage.note(opted_in, "info", screen="info"),
    ]
    return [event.id for event in made if event is not None]


async def test_the_send_loop_delivers_opted_in_events_to_the_hub_once(tmp_path: Path) -> None:
    server = await start_bare_hub(tmp_path)
    base = str(server.make_url("")).rstrip("/")
    usage = VisitUsage()
    ids = noted(usage, True)
    stopping = asyncio.Event()
    sent: list[int] = []
    loop = asyncio.create_task(
        send_loop(usage, lambda: base, lambda: True, stopping, every_s=0.05, on_sent=sent.append)
    )
    try:
        deadline = asyncio.get_running_loop().time() + 10
        while sum(sent) < len(ids) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        more = noted(usage, True)
        while sum(sent) < len(ids) + len(more) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        stored = stored_ids(server)
    finally:
        stopping.set()
        await loop
        await server.close()
    assert stored == ids + more
    assert usage.events == []


async def test_nothing_is_sent_or_kept_without_the_opt_in(tmp_path: Path) -> None:
    server = await start_bare_hub(tmp_path)
    base = str(server.make_url("")).rstrip("/")
    usage = VisitUsage()
    try:
        assert noted(usage, False) == []
        async with aiohttp.ClientSession() as http:
            assert await flush_once(http, usage, base, opted_in=False) == 0
            noted(usage, True)  # noted while on, then the visitor turns sharing off
            assert await flush_once(http, usage, base, opted_in=False) == 0
        stored = stored_ids(server)
    finally:
        await server.close()
    assert stored == [] and usage.events == []


async def test_events_are_dropped_silently_when_no_hub_answers() -> None:
    usage = VisitUsage()
    noted(usage, True)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
        dead = f"http://127.0.0.1:{unused_port()}"
        assert await flush_once(http, usage, dead, opted_in=True) == 0
        assert usage.events == []  # not kept for later
        noted(usage, True)
        assert await flush_once(http, usage, None, opted_in=True) == 0  # no hub found yet
        assert usage.events == []


def test_the_queue_is_small_and_bounded() -> None:
    usage = VisitUsage(limit=5)
    for _ in range(8):
        usage.note(True, "browse", screen="browse")
    assert len(usage.events) == 5
    assert [e.id for e in usage.take(3)] != [] and len(usage.events) == 2
