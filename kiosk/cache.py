"""The kiosk's content cache: the last good exhibition on disk, so no hub is needed to start.

Layout under ``<state>/content``::

    media/<sha256>                 every media file, named by its hash (shared by versions)
    versions/<version>/manifest.json
    current                        pointer file: the version on screen
    next                           pointer file: a complete newer version, waiting

A new version is *staged* beside the current one: its media are downloaded and their
hashes checked first, then its manifest is written, then the ``next`` pointer. It is
*promoted* (``next`` renamed over ``current``, one atomic ``rename``) only when the
app says so, between visitors. A crash at any moment leaves either the old or the new
version complete; never half of one. Old versions are pruned after a promotion,
keeping the previous one.

Files only, no network: the device link downloads and hands the bytes in.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import msgspec

from cimaise.errors import CimaiseError
from hub.client.manifest import Manifest, MediaRef, manifest_decoder
from kiosk.catalog import kiosk_media

log = logging.getLogger(__name__)

_SAFE_VERSION = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MEDIA_GRACE_S = 600.0
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/flac": ".flac",
}


class ContentCacheError(CimaiseError):
    """Raised when content handed to the cache is wrong: a hash or size mismatch, a bad
    manifest, or a manifest staged before all of its media are stored."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old bytes or the new, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _version_dir_name(version: str) -> str:
    if _SAFE_VERSION.match(version) and version not in {".", ".."}:
        return version
    return "h-" + hashlib.sha256(version.encode()).hexdigest()[:32]


class ContentCache:
    """The content a kiosk shows, kept on disk across restarts and hub outages."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.media_dir = root / "media"
        self.versions_dir = root / "versions"
        self.media_dir.mkdir(parents=True, exist_ok=True)
        self.versions_dir.mkdir(parents=True, exist_ok=True)

    # --- reading ---------------------------------------------------------------------------

    def _pointer(self, name: str) -> str | None:
        try:
            value = (self.root / name).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return value or None

    def _load(self, dir_name: str) -> Manifest | None:
        path = self.versions_dir / dir_name / "manifest.json"
        try:
            manifest = manifest_decoder.decode(path.read_bytes())
        except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.warning("cached content %s is unreadable: %s", dir_name, exc)
            return None
        if self.missing(manifest):
            log.warning("cached content %s lacks media files", dir_name)
            return None
        return manifest

    def current(self) -> Manifest | None:
        """The exhibition to show: the current version, else the one before it if the
        current one is damaged (a file lost), or None before any content."""
        for pointer in ("current", "previous"):
            name = self._pointer(pointer)
            manifest = self._load(name) if name else None
            if manifest is not None:
                return manifest
        return None

    def current_version(self) -> str | None:
        """The version on screen (its manifest's ``version``), or None."""
        manifest = self.current()
        return manifest.version if manifest else None

    def staged(self) -> Manifest | None:
        """A complete newer version waiting for the next pause between visitors."""
        name = self._pointer("next")
        return self._load(name) if name else None

    def media_path(self, ref: MediaRef) -> Path:
        """Where a media file lives (it may be missing: check ``has_media``).

        The name is the sha256 plus an extension from the MIME type, because Kivy's
        image and sound loaders choose a decoder by extension.
        """
        if not _SHA256.match(ref.sha256):
            raise ContentCacheError(f"not a sha256: {ref.sha256!r}")
        return self.media_dir / (ref.sha256 + _EXTENSIONS.get(ref.mime.lower(), ".bin"))

    def has_media(self, ref: MediaRef) -> bool:
        """Whether the file is stored with the expected size (its hash was checked on store)."""
        try:
            return self.media_path(ref).stat().st_size == ref.bytes
        except FileNotFoundError:
            return False

    def missing(self, manifest: Manifest) -> list[MediaRef]:
        """The media of a manifest the kiosk needs and does not have yet."""
        return [ref for ref in kiosk_media(manifest) if not self.has_media(ref)]

    # --- writing ---------------------------------------------------------------------------

    def store_media(self, ref: MediaRef, data: bytes) -> Path:
        """Store one downloaded file after checking its size and sha256."""
        path = self.media_path(ref)
        if len(data) != ref.bytes:
            raise ContentCacheError(
                f"media {ref.sha256[:12]}: {len(data)} bytes received, {ref.bytes} expected"
            )
        digest = hashlib.sha256(data).hexdigest()
        if digest != ref.sha256:
            raise ContentCacheError(f"media {ref.sha256[:12]}: content hash is {digest[:12]}")
        if not self.has_media(ref):
            _write_atomic(path, data)
        return path

    def stage(self, raw_manifest: bytes) -> Manifest:
        """Write a new version beside the current one and point ``next`` at it.

        All of its media must be stored already; the current version is untouched.
        """
        try:
            manifest = manifest_decoder.decode(raw_manifest)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ContentCacheError(f"manifest refused: {exc}") from None
        lacking = self.missing(manifest)
        if lacking:
            raise ContentCacheError(
                f"manifest {manifest.version}: {len(lacking)} media files not stored yet"
            )
        name = _version_dir_name(manifest.version)
        _write_atomic(self.versions_dir / name / "manifest.json", raw_manifest)
        if self._pointer("current") == name:
            (self.root / "next").unlink(missing_ok=True)
        else:
            _write_atomic(self.root / "next", name.encode())
        return manifest

    def promote(self) -> Manifest | None:
        """Make the staged version current (one rename); returns it, or None if none waits."""
        name = self._pointer("next")
        if name is None:
            return None
        manifest = self._load(name)
        if manifest is None:
            (self.root / "next").unlink(missing_ok=True)
            return None
        previous = self._pointer("current")
        (self.root / "next").replace(self.root / "current")
        _fsync_dir(self.root)
        if previous and previous != name:
            _write_atomic(self.root / "previous", previous.encode())
        self.prune()
        log.info("content version %s is now on screen", manifest.version)
        return manifest

    def prune(self) -> None:
        """Remove versions other than current, next and previous, and media none of them uses."""
        keep = {p for p in (self._pointer(n) for n in ("current", "next", "previous")) if p}
        for entry in self.versions_dir.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)
        used: set[str] = set()
        for name in keep:
            manifest = self._load_quiet(name)
            if manifest is not None:
                used.update(ref.sha256 for ref in kiosk_media(manifest))
        # A download of a newer version may be storing files right now: spare recent ones.
        recent = time.time() - MEDIA_GRACE_S
        for entry in self.media_dir.iterdir():
            if entry.name.split(".")[0] not in used and entry.stat().st_mtime < recent:
                entry.unlink(missing_ok=True)

    def _load_quiet(self, dir_name: str) -> Manifest | None:
        try:
            return manifest_decoder.decode(
                (self.versions_dir / dir_name / "manifest.json").read_bytes()
            )
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
