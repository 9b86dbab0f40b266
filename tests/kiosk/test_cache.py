"""The content cache: hashes checked, new versions staged beside the last good one."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import msgspec
import pytest

from hub.client.manifest import MediaRef
from kiosk.cache import ContentCache, ContentCacheError
from tests.kiosk.exhibition import build_exhibition

OTHER_BYTES = b"another thumbnail"


def _other(ref: MediaRef) -> MediaRef:
    """A reference to a file only the newer version uses."""
    sha = hashlib.sha256(OTHER_BYTES).hexdigest()
    return MediaRef(sha256=sha, mime=ref.mime, bytes=len(OTHER_BYTES))


def fill(cache: ContentCache, version: str) -> bytes:
    manifest, raw, media = build_exhibition(version)
    for ref in cache.missing(manifest):
        cache.store_media(ref, media[ref.sha256])
    return raw


def test_empty_cache_has_no_content(tmp_path: Path) -> None:
    assert ContentCache(tmp_path).current() is None


def test_media_with_a_wrong_hash_or_size_is_refused(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    manifest, _, media = build_exhibition()
    ref = cache.missing(manifest)[0]
    good = media[ref.sha256]
    with pytest.raises(ContentCacheError, match="hash"):
        cache.store_media(ref, bytes([good[0] ^ 1]) + good[1:])
    with pytest.raises(ContentCacheError, match="bytes"):
        cache.store_media(ref, good[:-1])
    assert not cache.has_media(ref)
    cache.store_media(ref, good)
    assert cache.has_media(ref)


def test_manifest_cannot_be_staged_before_its_media(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    _, raw, _ = build_exhibition()
    with pytest.raises(ContentCacheError, match="not stored"):
        cache.stage(raw)
    assert cache.staged() is None


def test_staged_version_waits_until_promoted(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    cache.stage(fill(cache, "v1"))
    assert cache.current() is None
    assert cache.promote() is not None
    assert cache.current_version() == "v1"
    cache.stage(fill(cache, "v2"))
    assert cache.current_version() == "v1"  # still on screen until the pause between visitors
    promoted = cache.promote()
    assert promoted is not None and promoted.version == "v2"
    assert cache.current_version() == "v2"
    assert cache.promote() is None


def test_cache_survives_a_restart(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    cache.stage(fill(cache, "v1"))
    cache.promote()
    again = ContentCache(tmp_path)
    manifest = again.current()
    assert manifest is not None and manifest.version == "v1"
    assert again.missing(manifest) == []


def test_restaging_the_current_version_leaves_nothing_waiting(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    raw = fill(cache, "v1")
    cache.stage(raw)
    cache.promote()
    cache.stage(raw)
    assert cache.staged() is None


def test_garbled_manifest_is_refused_and_current_kept(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    cache.stage(fill(cache, "v1"))
    cache.promote()
    with pytest.raises(ContentCacheError):
        cache.stage(b'{"version": 3}')
    assert cache.current_version() == "v1"


def test_deleted_media_file_makes_cached_version_unusable_not_a_crash(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    cache.stage(fill(cache, "v1"))
    manifest = cache.promote()
    assert manifest is not None
    next(cache.media_dir.iterdir()).unlink()
    assert cache.current() is None


def test_old_versions_and_their_unused_media_are_pruned(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    for version in ("v1", "v2", "v3"):
        cache.stage(fill(cache, version))
        cache.promote()
    assert sorted(p.name for p in cache.versions_dir.iterdir()) == ["v2", "v3"]
    stale = cache.media_dir / ("0" * 64)
    stale.write_bytes(b"x")
    os.utime(stale, (0, 0))
    cache.prune()
    assert not stale.exists()
    assert cache.current_version() == "v3"


def test_odd_version_strings_are_kept_as_safe_folder_names(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    cache.stage(fill(cache, "../../etc/passwd"))
    manifest = cache.promote()
    assert manifest is not None and manifest.version == "../../etc/passwd"
    assert all(p.parent == cache.versions_dir for p in cache.versions_dir.iterdir())


def test_a_damaged_current_version_falls_back_to_the_previous_one(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    cache.stage(fill(cache, "v1"))
    cache.promote()
    manifest, _, _ = build_exhibition("v2")
    extra = manifest.artworks[0].image.variants["thumb"]
    # v2 names one more file than v1: an image v1 does not use
    changed = msgspec.structs.replace(
        manifest.artworks[0],
        image=msgspec.structs.replace(
            manifest.artworks[0].image,
            variants={**manifest.artworks[0].image.variants, "thumb": _other(extra)},
        ),
    )
    v2 = msgspec.structs.replace(manifest, artworks=[changed, *manifest.artworks[1:]])
    new_thumb = changed.image.variants["thumb"]
    cache.store_media(new_thumb, OTHER_BYTES)
    cache.stage(msgspec.json.encode(v2))
    cache.promote()
    assert cache.current_version() == "v2"
    cache.media_path(new_thumb).unlink()  # a file of v2 is lost
    assert cache.current_version() == "v1"  # the last good content still shows
