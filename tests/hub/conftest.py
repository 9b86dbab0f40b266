"""Fixtures of the hub tests: a real hub app on loopback, devices enrolled through its API."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from cimaise.settings import Settings
from hub.app import create_app
from hub.client.api import HubClient
from hub.keys import DEVICES, SETTINGS

ServerFactory = Callable[..., Awaitable[TestServer]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def hub_settings(tmp_path: Path) -> Settings:
    return Settings(
        data=tmp_path / "data",
        content=tmp_path / "no-content",
        site="test",
        zeroconf=False,
        port=free_port(),
    )


@pytest.fixture
def hub_app(hub_settings: Settings) -> web.Application:
    return create_app(hub_settings)


@pytest.fixture
async def hub_server(aiohttp_server: ServerFactory, hub_app: web.Application) -> TestServer:
    return await aiohttp_server(hub_app, host="127.0.0.1", port=hub_app[SETTINGS].port)


@pytest.fixture
def hub_url(hub_server: TestServer) -> str:
    return str(hub_server.make_url("")).rstrip("/")


async def enroll(
    app: web.Application,
    url: str,
    kind: str = "kiosk",
    name: str = "kiosk-1",
    zone: str | None = "room-1",
) -> HubClient:
    """A HubClient holding a fresh token, enrolled through the API with a real code."""
    code = await app[DEVICES].create_pairing_code(kind, name, zone)  # type: ignore[arg-type]
    client = HubClient(url)
    await client.enroll(code.code, kind, name)  # type: ignore[arg-type]
    return client
