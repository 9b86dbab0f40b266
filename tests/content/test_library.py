"""Publishing: last good version kept, derivatives made once, public pack, versions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import msgspec
import pytest
from PIL import Image

from cimaise.errors import ContentError
from hub.client.manifest import manifest_decoder, public_pack_decoder
from hub.content.derivatives import RECIPES
from hub.content.library import ContentLibrary
from tests.content.bundles import edit_json, read_json, write_json

ART = "artworks/halo.json"


def test_bad_bundle_after_good_keeps_the_good_one_and_says_why(
    bundle: Path, library: ContentLibrary
) -> None:
    good = library.reload()
    data = read_json(bundle, ART)
    data["zone"] = 7
    write_json(bundle, ART, data)

    with pytest.raises(ContentError):
        library.reload()
    assert library.current is good
    assert library.last_error is not None
    assert (library.last_error.file, library.last_error.field) == (ART, "$.zone")

    data["zone"] = "zone-b"
    write_json(bundle, ART, data)
    fixed = library.reload()
    assert library.current is fixed
    assert library.last_error is None
    assert fixed.etag != good.etag
    assert fixed.artwork("halo") is not None
    assert fixed.artwork("halo").zone == "zone-b"  # type: ignore[union-attr]


def test_derivatives_are_made_once(bundle: Path, library: ContentLibrary, tmp_path: Path) -> None:
    library.reload()
    images = len(list((bundle / "media").glob("*.[jp][pn]g")))
    first = library.derivatives_made
    assert 0 < first <= images * len(RECIPES)
    cached = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache" / "media").iterdir()}

    library.reload()
    assert library.derivatives_made == first

    # a hub restarted on the same cache makes none either
    again = ContentLibrary(bundle, tmp_path / "cache")
    again.reload()
    assert again.derivatives_made == 0
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache" / "media").iterdir()} == cached


def test_a_deleted_derivative_is_made_again(bundle: Path, library: ContentLibrary) -> None:
    content = library.reload()
    phone = content.artwork("halo").image.variants["phone"]  # type: ignore[union-attr]
    path = content.media_path(phone.sha256)
    assert path is not None
    path.unlink()
    again = ContentLibrary(bundle, library.cache_dir).reload()
    restored = again.media_path(phone.sha256)
    assert restored is not None and restored.is_file()


def test_derivative_files_match_their_refs_and_caps(library: ContentLibrary) -> None:
    content = library.reload()
    caps = {r.name: r.max_side for r in RECIPES}
    for art in content.manifest.artworks:
        assert set(art.image.variants) == set(caps)
        for name, ref in art.image.variants.items():
            path = content.media_path(ref.sha256)
            assert path is not None
            with Image.open(path) as im:
                assert im.size == (ref.width, ref.height)
            assert max(ref.width or 0, ref.height or 0) <= caps[name]
            assert path.stat().st_size == ref.bytes


def test_unpublished_artwork_stays_out_of_the_public_pack(
    bundle: Path, library: ContentLibrary
) -> None:
    edit_json(bundle, ART, published=False, title={"fr": "Secret FR", "en": "Secret EN",
                                                   "de": "Secret DE"})
    content = library.reload()
    halo = content.artwork("halo")
    assert halo is not None and not halo.published
    assert content.public_artwork("halo") is None

    pack = content.public_pack
    assert "halo" not in {a.id for a in pack.artworks}
    assert all(b.artwork != "halo" for b in pack.beacons)
    assert b"Secret" not in content.public_pack_json
    assert b"Secret" in content.manifest_json
    assert not content.is_public_media(halo.image.sha256)
    assert not any(content.is_public_media(v.sha256) for v in halo.image.variants.values())
    assert len(pack.artworks) == len(content.manifest.artworks) - 1


def test_public_pack_holds_phone_sized_images_and_no_detection_settings(
    library: ContentLibrary,
) -> None:
    content = library.reload()
    pack = json.loads(content.public_pack_json)
    for art in pack["artworks"]:
        assert set(art["image"]["variants"]) == {"thumb", "phone"}
        assert art["published"] is True
    for zone in pack["zones"]:
        assert set(zone) <= {"id", "name", "room"}
    assert {"version", "exhibition", "zones", "artworks", "beacons", "info"} == set(pack)
    for ref in content.public_pack.media():
        assert content.is_public_media(ref.sha256)
        assert content.media_path(ref.sha256) is not None


def test_published_json_round_trips(library: ContentLibrary) -> None:
    content = library.reload()
    assert manifest_decoder.decode(content.manifest_json) == content.manifest
    assert public_pack_decoder.decode(content.public_pack_json) == content.public_pack
    assert content.etag == content.manifest.version
    assert content.public_etag == content.public_pack.version


def test_version_changes_with_the_content_only(bundle: Path, library: ContentLibrary) -> None:
    first = library.reload()
    assert library.reload().etag == first.etag
    data = read_json(bundle, ART)
    data["text"]["en"] += " One more sentence."
    write_json(bundle, ART, data)
    second = library.reload()
    assert second.etag != first.etag
    assert second.public_etag != first.public_etag


def test_lookups_by_id(library: ContentLibrary) -> None:
    content = library.reload()
    tag = content.beacon("t03")
    assert tag is not None and tag.artwork == "halo"
    assert tag.ibeacon is not None and tag.eddystone_uid is not None
    assert content.zone("zone-a") is not None
    assert content.artwork("nope") is None
    assert content.beacon("nope") is None
    assert content.media_path("0" * 64) is None
    assert content.media_path("../../etc/passwd") is None


async def test_reload_async_runs_off_the_loop(library: ContentLibrary) -> None:
    content = await library.reload_async()
    assert library.current is content


def test_exif_rotated_image_is_published_upright(bundle: Path, library: ContentLibrary) -> None:
    image = Image.new("RGB", (800, 400), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    image.save(bundle / "media" / "halo.jpg", "JPEG", exif=exif)
    content = library.reload()
    halo = content.artwork("halo")
    assert halo is not None
    assert (halo.image.width, halo.image.height) == (400, 800)
    screen = halo.image.variants["screen"]
    assert screen.sha256 != halo.image.sha256  # not reused: browsers and Kivy differ on EXIF
    assert (screen.width, screen.height) == (400, 800)
    assert msgspec.json.encode(halo)


def test_derivatives_of_replaced_images_are_pruned(
    bundle: Path, library: ContentLibrary, tmp_path: Path
) -> None:
    first = library.reload()
    old = first.artwork("halo").image.variants["thumb"]  # type: ignore[union-attr]
    cache = tmp_path / "cache" / "media"
    assert (cache / old.sha256).is_file()

    versions = [first]
    for colour in ((1, 2, 3), (4, 5, 6)):
        Image.new("RGB", (700, 500), colour).save(bundle / "media" / "halo.jpg", "JPEG")
        versions.append(library.reload())
        # the version just replaced stays: devices may still be fetching its files
        if colour == (1, 2, 3):
            assert (cache / old.sha256).is_file()
    assert not (cache / old.sha256).exists()
    current = library.current
    assert current is not None
    for ref in current.manifest.media():
        assert current.media_path(ref.sha256) is not None
    kept = {p.name for p in cache.iterdir()}
    published = {ref.sha256 for ref in current.manifest.media()}
    assert kept <= published | {ref.sha256 for ref in versions[1].manifest.media()}


def test_another_library_on_the_same_cache_never_deletes_its_files(
    bundle: Path, library: ContentLibrary, tmp_path: Path
) -> None:
    hub = library.reload()
    other_bundle = tmp_path / "other"
    shutil.copytree(bundle, other_bundle)
    Image.new("RGB", (700, 500), (9, 9, 9)).save(other_bundle / "media" / "halo.jpg", "JPEG")
    other = ContentLibrary(other_bundle, tmp_path / "cache")
    other.reload()
    Image.new("RGB", (700, 500), (8, 8, 8)).save(other_bundle / "media" / "halo.jpg", "JPEG")
    other.reload()
    Image.new("RGB", (700, 500), (7, 7, 7)).save(other_bundle / "media" / "halo.jpg", "JPEG")
    other.reload()
    for ref in hub.manifest.media():
        path = hub.media_path(ref.sha256)
        assert path is not None and path.is_file()
