"""Replacing an image and uploading a whole bundle from the page."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient
from PIL import Image

from cimaise.settings import demo_content_dir
from hub.app import create_app
from hub.keys import CONTENT, SETTINGS
from tests.web.conftest import add_user, hub_settings, login, mount_web, wait_for


@pytest.fixture
async def big_client(
    aiohttp_client: Callable[[web.Application], Awaitable[TestClient]], tmp_path: Path
) -> TestClient:
    app = mount_web(create_app(hub_settings(tmp_path, max_body_bytes=64 * 1024 * 1024)))
    client = await aiohttp_client(app)
    await wait_for(lambda: app[CONTENT].current is not None, 60)
    await add_user(app)
    return client


def bundle_zip(edit: Callable[[str, bytes], bytes] | None = None) -> bytes:
    out = io.BytesIO()
    root = demo_content_dir()
    with zipfile.ZipFile(out, "w") as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                rel = path.relative_to(root).as_posix()
                data = path.read_bytes()
                zf.writestr(f"expo/{rel}", edit(rel, data) if edit else data)
    return out.getvalue()


async def test_an_uploaded_bundle_is_checked_then_published(big_client: TestClient) -> None:
    csrf = await login(big_client)
    library = big_client.app[CONTENT]
    version = library.current.etag

    def break_zones(rel: str, data: bytes) -> bytes:
        return b"{not json" if rel == "zones.json" else data

    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("bundle", bundle_zip(break_zones), filename="b.zip",
                   content_type="application/zip")
    bad = await big_client.post("/admin/content/upload", data=form)
    assert bad.status == 400
    assert "zones.json" in await bad.text()
    assert library.current.etag == version

    def retitle(rel: str, data: bytes) -> bytes:
        if rel == "artworks/halo.json":
            record = json.loads(data)
            record["title"] = {k: "Halo (nouveau)" for k in record["title"]}
            return json.dumps(record).encode()
        return data

    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("bundle", bundle_zip(retitle), filename="b.zip",
                   content_type="application/zip")
    good = await big_client.post("/admin/content/upload", data=form)
    assert good.status == 200, await good.text()
    assert library.current.etag != version
    assert set(library.current.artwork("halo").title.values()) == {"Halo (nouveau)"}
    assert library.bundle_dir == big_client.app[SETTINGS].data / "content"


async def test_replacing_an_image_publishes_a_new_media(big_client: TestClient) -> None:
    csrf = await login(big_client)
    library = big_client.app[CONTENT]
    before = library.current.artwork("halo").image.sha256
    png = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 40, 40)).save(png, "PNG")
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("image", png.getvalue(), filename="red.png", content_type="image/png")
    resp = await big_client.post("/admin/content/artworks/halo/image", data=form)
    assert resp.status == 200, await resp.text()
    after = library.current.artwork("halo").image
    assert after.sha256 != before and after.width == 640
    media = await big_client.get(f"/api/v1/media/{after.sha256}")
    assert media.status == 200

    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("image", b"not an image", filename="x.png", content_type="image/png")
    bad = await big_client.post("/admin/content/artworks/halo/image", data=form)
    assert bad.status == 400
    assert library.current.artwork("halo").image.sha256 == after.sha256


async def test_settings_saved_on_the_page_show_the_site_name(big_client: TestClient) -> None:
    csrf = await login(big_client)
    resp = await big_client.post("/admin/settings", data={
        "csrf": csrf, "site_name": "Musée <des> Pins", "cloud_url": "", "cloud_secret": "",
        "privacy_mode": "anonymous", "k_anonymity": "5", "event_retention_days": "30",
        "pseudonym_retention_hours": "24"})
    page = await resp.text()
    assert resp.status == 200
    assert "Musée &lt;des&gt; Pins" in page
    now = await big_client.post("/admin/sync/now", data={"csrf": csrf})
    assert "Sync is off" in await now.text()


async def test_settings_saved_on_the_page_apply_at_the_next_start(
    aiohttp_client: Callable[[web.Application], Awaitable[TestClient]], tmp_path: Path
) -> None:
    first = mount_web(create_app(hub_settings(tmp_path)))
    client = await aiohttp_client(first)
    await add_user(first)
    csrf = await login(client)
    resp = await client.post("/admin/settings", data={
        "csrf": csrf, "site_name": "", "cloud_url": "http://127.0.0.1:9/in",
        "cloud_secret": "0123456789abcdef0123", "privacy_mode": "pseudonymous",
        "k_anonymity": "9", "event_retention_days": "10", "pseudonym_retention_hours": "6"})
    assert resp.status == 200
    assert first[SETTINGS].k_anonymity == 5  # this run keeps its settings
    await client.close()
    second = mount_web(create_app(hub_settings(tmp_path)))
    again = await aiohttp_client(second)
    settings = second[SETTINGS]
    assert (settings.cloud_url, settings.cloud_secret, settings.privacy_mode) == (
        "http://127.0.0.1:9/in", "0123456789abcdef0123", "pseudonymous")
    assert (settings.k_anonymity, settings.event_retention_days) == (9, 10.0)
    assert settings.pseudonym_retention_hours == 6.0
    await again.close()
