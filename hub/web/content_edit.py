"""Editing the content bundle from the page: checked in a staging copy, then written.

An edit (a text, an image, a whole uploaded bundle) is applied to a staging folder
first (the JSON files copied, ``media`` linked), checked with the content checks
the library publishes with, and only then written into the bundle, atomically per
file. The library is then reloaded: kiosks and the guide pick the new version up by
its ETag. When the bundle is the packaged demo (read-only once installed), it is
copied into ``<data>/content`` on the first edit and served from there on.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Final

from cimaise.errors import ContentError
from cimaise.settings import demo_content_dir
from hub.content.bundle import ARTWORKS_DIR, artwork_file
from hub.content.checks import BundleProblems, check_bundle, media_uses, raise_problems
from hub.content.loader import read_bundle
from hub.content.probe import probe_file

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES: Final = 25 * 1024 * 1024
MAX_ZIP_BYTES: Final = 512 * 1024 * 1024
MAX_ZIP_FILES: Final = 20_000
IMAGE_TYPES: Final = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def problems_of(error: ContentError) -> list[ContentError]:
    """Every problem an error names (a BundleProblems lists several)."""
    return list(error.problems) if isinstance(error, BundleProblems) else [error]


def editable_dir(bundle_dir: Path, data_dir: Path) -> Path:
    """Where edits go: the bundle itself, or ``<data>/content`` for the packaged demo."""
    if _is_packaged_demo(bundle_dir) or not os.access(bundle_dir, os.W_OK):
        return data_dir / "content"
    return bundle_dir


def _is_packaged_demo(bundle_dir: Path) -> bool:
    with contextlib.suppress(OSError):
        return bundle_dir.resolve() == demo_content_dir().resolve()
    return False


def ensure_editable(bundle_dir: Path, data_dir: Path) -> Path:
    """The folder to edit, copying a read-only or packaged bundle there first."""
    target = editable_dir(bundle_dir, data_dir)
    if target != bundle_dir and not (target / "exhibition.json").exists():
        tmp = Path(tempfile.mkdtemp(prefix=".content-", dir=data_dir))
        shutil.copytree(bundle_dir, tmp / "b", symlinks=False)
        if target.exists():
            shutil.rmtree(target)
        (tmp / "b").rename(target)
        tmp.rmdir()
        log.info("content bundle copied into %s for editing", target)
    return target


def check_dir(bundle_dir: Path) -> None:
    """Raise ContentError (BundleProblems) when the bundle in ``bundle_dir`` is bad."""
    src = read_bundle(bundle_dir)
    infos = {use.path: probe_file(bundle_dir, use.path) for use in media_uses(src)}
    raise_problems(check_bundle(src, infos))


@contextlib.contextmanager
def _staging(bundle_dir: Path) -> Iterator[Path]:
    """A copy of the bundle's JSON files with the media hard-linked in (cheap to make).

    Made beside the bundle (same file system, so hard links work; the content checks
    refuse files that resolve outside the bundle, such as symbolic links).
    """
    with tempfile.TemporaryDirectory(prefix=".stage-", dir=bundle_dir.parent) as tmp:
        stage = Path(tmp)
        for path in bundle_dir.glob("*.json"):
            shutil.copy2(path, stage / path.name)
        (stage / ARTWORKS_DIR).mkdir()
        art_dir = bundle_dir / ARTWORKS_DIR
        if art_dir.is_dir():
            for path in art_dir.glob("*.json"):
                shutil.copy2(path, stage / ARTWORKS_DIR / path.name)
        media = bundle_dir / "media"
        if media.is_dir():
            for path in media.rglob("*"):
                target = stage / path.relative_to(bundle_dir)
                if path.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(path, target)
                except OSError:
                    shutil.copy2(path, target)
        yield stage


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()


def read_artwork_json(bundle_dir: Path, artwork_id: str) -> dict[str, Any]:
    """The artwork's source record as plain JSON (what the edit form starts from)."""
    data: dict[str, Any] = json.loads((bundle_dir / artwork_file(artwork_id)).read_bytes())
    return data


def apply_artwork(bundle_dir: Path, artwork_id: str, record: dict[str, Any]) -> None:
    """Check the bundle with the artwork's new record, then write it (ContentError if bad)."""
    rel = artwork_file(artwork_id)
    data = _json_bytes(record)
    with _staging(bundle_dir) as stage:
        (stage / rel).write_bytes(data)
        check_dir(stage)
    _write_atomic(bundle_dir / rel, data)


def save_image(bundle_dir: Path, artwork_id: str, data: bytes, mime: str) -> str:
    """Store an uploaded image under ``media/`` (content-named); returns its bundle path."""
    ext = IMAGE_TYPES.get(mime)
    if ext is None:
        raise ContentError(artwork_file(artwork_id), "$.image", "upload a JPEG, PNG or WebP image")
    if len(data) > MAX_IMAGE_BYTES:
        raise ContentError(artwork_file(artwork_id), "$.image", "image larger than 25 MB")
    digest = hashlib.sha256(data).hexdigest()[:12]
    rel = f"media/{artwork_id}-{digest}{ext}"
    path = bundle_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _write_atomic(path, data)
    return rel


def _safe_member(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        return None
    return path


def replace_from_zip(bundle_dir: Path, data_dir: Path, archive: bytes) -> Path:
    """Unpack an uploaded bundle (zip), check it, then swap it in; returns the new folder.

    The zip may hold the bundle at its root or in one top folder. The previous bundle
    is kept in ``<data>/content.previous``.
    """
    upload = "upload.zip"
    try:
        zf = zipfile.ZipFile(io.BytesIO(archive))
    except zipfile.BadZipFile:
        raise ContentError(upload, "$", "not a zip file") from None
    with zf, tempfile.TemporaryDirectory(prefix=".upload-", dir=data_dir) as tmp:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_FILES:
            raise ContentError(upload, "$", f"more than {MAX_ZIP_FILES} files")
        if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
            raise ContentError(upload, "$", "more than 512 MB once unpacked")
        root = Path(tmp) / "bundle"
        for info in infos:
            member = _safe_member(info.filename)
            if member is None:
                raise ContentError(upload, info.filename, "unsafe path in the zip")
            target = root.joinpath(*member.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        if not (root / "exhibition.json").exists():
            tops = [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
            if len(tops) == 1 and (tops[0] / "exhibition.json").exists():
                root = tops[0]
            else:
                raise ContentError(upload, "exhibition.json", "no exhibition.json in the zip")
        check_dir(root)
        target = editable_dir(bundle_dir, data_dir)
        previous = data_dir / "content.previous"
        if previous.exists():
            shutil.rmtree(previous)
        if target.exists():
            target.rename(previous)
        shutil.move(str(root), str(target))
    log.info("content bundle replaced by an upload")
    return target
