"""Fetching the public pack: a hub found by zeroconf on loopback, ETags, a hub that goes away."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer, unused_port

from cimaise.errors import HubUnreachableError
from cimaise.settings import Settings, demo_content_dir
from hub.app import create_app
from hub.content.library import ContentLibrary
from hub.keys import CONTENT
from phone import pack


async def test_phone_finds_the_hub_by_zeroconf_and_caches_its_pack(
    tmp_path: Path, content_cache: Path
) -> None:
    port = unused_port()
    site = f"phone-{os.getpid()}"
    settings = Settings(
        data=tmp_path / "hub", content=demo_content_dir(), host="127.0.0.1", port=port, site=site
    )
    app = create_app(settings, library=ContentLibrary(demo_content_dir(), content_cache))
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        deadline = time.monotonic() + 60
        while app[CONTENT].current is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        url = await pack.find_hub(None, site=site, interfaces=["127.0.0.1"], wait_s=10)
        assert url == f"http://127.0.0.1:{port}"
        cache = pack.PackCache(tmp_path / "phone")
        first = await pack.refresh(cache, url)
        assert first.changed and first.media_fetched == len(pack.wanted_media(first.pack))
        again = await pack.refresh(cache, url)  # ETag: 304, nothing fetched again
        assert not again.changed and again.media_fetched == 0 and again.pack == first.pack
    finally:
        await server.close()
    with pytest.raises(HubUnreachableError):
        await pack.refresh(cache, url, request_timeout_s=3)
    assert cache.load() == first.pack  # the cache survives the hub going away


async def test_no_hub_on_the_network_is_an_error_the_app_survives(tmp_path: Path) -> None:
    with pytest.raises(HubUnreachableError):
        await pack.find_hub(None, site="nobody-here", interfaces=["127.0.0.1"], wait_s=1.0)
