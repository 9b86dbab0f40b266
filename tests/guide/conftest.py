"""Fixtures of the guide tests: a small aiohttp app with the guide's routes over a test bundle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.content.library import ContentLibrary
from hub.guide.routes import routes
from hub.keys import CONTENT
from tests.content.bundles import make_small_bundle

ClientFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return make_small_bundle(tmp_path / "bundle")


@pytest.fixture
def library(bundle: Path, tmp_path: Path) -> ContentLibrary:
    library = ContentLibrary(bundle, tmp_path / "cache")
    library.reload()
    return library


def guide_app(library: ContentLibrary) -> web.Application:
    app = web.Application()
    app[CONTENT] = library
    app.router.add_routes(routes)
    return app


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, library: ContentLibrary
) -> TestClient[web.Request, web.Application]:
    return await aiohttp_client(guide_app(library))
