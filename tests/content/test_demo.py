"""The demo exhibition shipped in content/demo is a complete, valid bundle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from hub.content.bundle import bundle_json_schema
from hub.content.library import ContentLibrary, PublishedContent
from tests.content.bundles import DEMO

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishedContent]:
    library = ContentLibrary(DEMO, tmp_path_factory.mktemp("demo-cache"))
    yield library.reload()


def test_demo_has_a_dozen_artworks_in_three_zones(demo: PublishedContent) -> None:
    m = demo.manifest
    assert [z.id for z in m.zones] == ["zone-a", "zone-b", "zone-c"]
    assert len(m.artworks) >= 12
    assert {a.zone for a in m.artworks} == {"zone-a", "zone-b", "zone-c"}
    assert len(m.exhibition.languages) >= 3
    assert {"fr", "en"} <= set(m.exhibition.languages)
    for art in m.artworks:
        for text in (art.title, art.text, art.alt, art.medium):
            assert set(text) == set(m.exhibition.languages)


def test_demo_beacons_stand_by_every_artwork_and_in_every_zone(demo: PublishedContent) -> None:
    m = demo.manifest
    fixed = [b for b in m.beacons if b.kind == "fixed"]
    assert {b.artwork for b in fixed} == {a.id for a in m.artworks}
    assert len({b.ibeacon.uuid for b in fixed if b.ibeacon}) == 1  # one museum UUID
    namespaces = {b.eddystone_uid.namespace for b in m.beacons if b.eddystone_uid}
    assert len(namespaces) == 1
    agents = [b for b in m.beacons if b.kind == "agent"]
    assert sorted(b.zone or "" for b in agents) == ["zone-a", "zone-b", "zone-c"]


def test_demo_has_audio_descriptions_and_a_large_image(demo: PublishedContent) -> None:
    m = demo.manifest
    audio = [ref for art in m.artworks for ref in art.audio.values()]
    assert len(audio) >= 6
    assert all(ref.mime.startswith("audio/") and (ref.duration_s or 0) > 5 for ref in audio)
    largest = max(m.artworks, key=lambda a: (a.image.width or 0) * (a.image.height or 0))
    assert (largest.image.width or 0) >= 6000
    zoom = largest.image.variants["zoom"]
    assert max(zoom.width or 0, zoom.height or 0) == 4096  # a Pi GPU's largest texture
    path = demo.media_path(zoom.sha256)
    assert path is not None
    with Image.open(path) as im:
        assert max(im.size) == 4096


def test_demo_stays_lean() -> None:
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert total < 6.5 * 1024 * 1024, total


def test_demo_says_where_its_images_come_from() -> None:
    credits = (DEMO / "CREDITS.md").read_text(encoding="utf-8")
    assert "generate_demo.py" in credits and "Apache" in credits


def test_published_json_schema_matches_the_decoder() -> None:
    path = REPO / "content" / "schema" / "content-bundle.schema.json"
    assert json.loads(path.read_text(encoding="utf-8")) == bundle_json_schema(), (
        "regenerate with: .venv/bin/python content/generate_demo.py --schema"
    )
