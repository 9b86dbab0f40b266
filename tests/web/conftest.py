"""Fixtures of the web page's tests: a real hub app with the page mounted, an account."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from cimaise.settings import Settings
from hub.app import create_app
from hub.keys import CONTENT, STORE
from hub.web.accounts import create_user
from hub.web.routes import routes, web_ctx

USER = "tech"
PASSWORD = "correct horse battery"


def mount_web(app: web.Application) -> web.Application:
    """Add the page to a hub app unless ``create_app`` does it already."""
    if not any(r.canonical == "/admin/login" for r in app.router.resources()):
        app.router.add_routes(routes)
    if web_ctx not in app.cleanup_ctx:
        app.cleanup_ctx.append(web_ctx)
    return app


_DEMO_CACHE: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def demo_derivatives(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Make the demo's image derivatives once; every hub of these tests starts with a copy.

    The cache is keyed by each source image's sha256, so a copy is as good as its own.
    """
    from cimaise.settings import demo_content_dir
    from hub.content.library import ContentLibrary

    cache = tmp_path_factory.mktemp("demo-cache") / "content-cache"
    ContentLibrary(demo_content_dir(), cache).reload()
    _DEMO_CACHE.append(cache)


def hub_settings(tmp_path: Path, **values: object) -> Settings:
    data = tmp_path / "data"
    if _DEMO_CACHE and not (data / "content-cache").exists():
        shutil.copytree(_DEMO_CACHE[0], data / "content-cache")
    return Settings(data=data, zeroconf=False).with_overrides(**values)


async def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def add_user(app: web.Application, name: str = USER, password: str = PASSWORD) -> None:
    from hub.client.events import utc_now

    await app[STORE].run_write(lambda c: create_user(c, name, password, utc_now()))


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


async def login(client: TestClient, user: str = USER, password: str = PASSWORD) -> str:
    """Log in through the form; returns the CSRF token of the session."""
    page = await (await client.get("/admin/login")).text()
    token = re.search(r'name="login_token" value="([^"]+)"', page)
    assert token
    resp = await client.post(
        "/admin/login",
        data={"user": user, "password": password, "login_token": token.group(1), "next": "/admin/"},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    home = await client.get("/admin/")
    assert home.status == 200
    return csrf_of(await home.text())


@pytest.fixture
async def hub_client(
    aiohttp_client: Callable[[web.Application], Awaitable[TestClient]], tmp_path: Path
) -> TestClient:
    """A logged-out client of a hub (demo content, its own data folder) with the page."""
    app = mount_web(create_app(hub_settings(tmp_path)))
    client = await aiohttp_client(app)
    await wait_for(lambda: app[CONTENT].current is not None)
    await add_user(app)
    return client
