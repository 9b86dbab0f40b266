"""Content routes on the demo exhibition: manifest and public pack with ETag/304, media."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from cimaise.errors import NotPairedError
from cimaise.settings import Settings, demo_content_dir
from hub.app import create_app
from hub.client.api import HubClient, HubRequestError
from hub.client.manifest import MediaRef
from hub.content.library import ContentLibrary
from tests.hub.conftest import ServerFactory, enroll


@pytest.fixture(scope="session")
def demo_library(tmp_path_factory: pytest.TempPathFactory) -> ContentLibrary:
    # One library for the module: publishing makes image derivatives once (seconds).
    library = ContentLibrary(demo_content_dir(), tmp_path_factory.mktemp("content-cache"))
    library.reload()
    return library


@pytest.fixture
async def content_hub(
    aiohttp_server: ServerFactory, hub_settings: Settings, demo_library: ContentLibrary
) -> tuple[web.Application, str]:
    settings = dataclasses.replace(hub_settings, content=demo_content_dir())
    app = create_app(settings, library=demo_library)
    server = await aiohttp_server(app, host="127.0.0.1", port=settings.port)
    return app, str(server.make_url("")).rstrip("/")


def all_media(refs: list[MediaRef]) -> list[MediaRef]:
    out = []
    for ref in refs:
        out.append(ref)
        out.extend(ref.variants.values())
    return out


async def test_unchanged_manifest_gets_304_and_needs_a_token(
    content_hub: tuple[web.Application, str], demo_library: ContentLibrary
) -> None:
    app, url = content_hub
    async with HubClient(url) as anonymous:
        anonymous.token = "not-a-token"
        with pytest.raises(NotPairedError):
            await anonymous.manifest()
    async with await enroll(app, url) as client:
        fetched = await client.manifest()
        assert fetched is not None
        assert fetched.etag == f'"{demo_library.current.etag}"'  # type: ignore[union-attr]
        assert len(fetched.manifest.artworks) >= 10
        assert await client.manifest(fetched.etag) is None
        assert await client.manifest('"stale"') is not None


async def test_public_pack_needs_no_token_and_gets_304(
    content_hub: tuple[web.Application, str],
) -> None:
    _, url = content_hub
    async with HubClient(url) as phone:
        pack = await phone.public_pack()
        assert pack is not None and pack.etag
        assert b"token" not in pack.body and b"device" not in pack.body
        assert await phone.public_pack(pack.etag) is None


async def test_media_are_immutable_hash_checked_and_named_by_sha256(
    content_hub: tuple[web.Application, str], demo_library: ContentLibrary, tmp_path: Path
) -> None:
    app, url = content_hub
    content = demo_library.current
    assert content is not None
    artwork = content.manifest.artworks[0]
    async with await enroll(app, url) as client:
        path = await client.download_media(artwork.image.sha256, tmp_path / "image")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == artwork.image.sha256
        thumb = artwork.image.variants["thumb"]
        async with client.session.get(f"{url}/api/v1/media/{thumb.sha256}") as resp:
            body = await resp.read()
            assert resp.status == 200
            assert "immutable" in resp.headers["Cache-Control"]
            assert resp.headers["Content-Type"] == thumb.mime
            assert hashlib.sha256(body).hexdigest() == thumb.sha256
        with pytest.raises(HubRequestError) as info:
            await client.download_media("0" * 64, tmp_path / "nothing")
        assert info.value.status == 404 and info.value.code == "media_not_found"
        assert not (tmp_path / "nothing").exists()


async def test_media_outside_the_public_pack_need_a_device_token(
    content_hub: tuple[web.Application, str], demo_library: ContentLibrary
) -> None:
    app, url = content_hub
    content = demo_library.current
    assert content is not None
    refs = all_media([a.image for a in content.manifest.artworks])
    refs += all_media([r for a in content.manifest.artworks for r in a.audio.values()])
    private = [r for r in refs if not content.is_public_media(r.sha256)]
    public = [r for r in refs if content.is_public_media(r.sha256)]
    assert public
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/api/v1/media/{public[0].sha256}") as resp:
            assert resp.status == 200
        if not private:
            pytest.skip("the demo exhibition has no private media")
        async with session.get(f"{url}/api/v1/media/{private[0].sha256}") as resp:
            assert resp.status == 401
    async with (
        await enroll(app, url) as client,
        client.session.get(
            f"{url}/api/v1/media/{private[0].sha256}",
            headers={"Authorization": f"Bearer {client.token}"},
        ) as resp,
    ):
        assert resp.status == 200


async def test_health_reports_the_published_content(
    content_hub: tuple[web.Application, str], demo_library: ContentLibrary
) -> None:
    _, url = content_hub
    async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as resp:
        health = await resp.json()
    assert resp.status == 200
    assert health["content"] == {"version": demo_library.current.etag, "error": None}  # type: ignore[union-attr]
    assert health["store"]["writable"]
