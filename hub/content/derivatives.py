"""Image derivatives made with Pillow, once per source image, cached by its sha256.

Four variants of every image: ``zoom`` (at most 4096 px on the long side, the
largest texture a Raspberry Pi GPU takes), ``screen`` (1920), ``phone`` (1080,
compressed harder for mobile data) and ``thumb`` (400). They are content-addressed
files in ``<cache>/media/<sha256>``; ``<cache>/derivatives/<source sha>.<recipe>.json``
records which files belong to a source, so a second load makes nothing. Blocking:
run it off the event loop.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import logging
import os
import tempfile
import warnings
from pathlib import Path

import msgspec
from PIL import Image, ImageOps

from hub.client.manifest import MediaRef
from hub.content.checks import MediaInfo

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Recipe:
    """How one derivative is made: longest side cap and JPEG quality.

    ``reuse_original``: when the source is a JPEG that already fits, the variant is
    the source itself (re-encoding it would only make a bigger file of the same picture).
    """

    name: str
    max_side: int
    quality: int
    reuse_original: bool = False


# Largest first: each is resized from the previous one, which is much faster than
# resizing the full original four times and looks the same.
RECIPES = (
    Recipe("zoom", 4096, 88, reuse_original=True),
    Recipe("screen", 1920, 85, reuse_original=True),
    Recipe("phone", 1080, 72),
    Recipe("thumb", 400, 78),
)
# Changing a recipe changes this key, so old cached derivatives are not reused.
RECIPES_KEY = hashlib.sha256(repr(RECIPES).encode()).hexdigest()[:12]

_ORIENTATION_TAG = 0x0112
_index_decoder = msgspec.json.Decoder(dict[str, MediaRef])


class DerivativeCache:
    """Makes and remembers the derivatives of images; counts how many files it made."""

    def __init__(self, cache_dir: Path) -> None:
        self.media_dir = cache_dir / "media"
        self.index_dir = cache_dir / "derivatives"
        self.made = 0

    def path(self, sha256: str) -> Path | None:
        """The cached file with this sha256, if there is one."""
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            return None
        path = self.media_dir / sha256
        return path if path.is_file() else None

    def variants(self, source: Path, info: MediaInfo) -> dict[str, MediaRef]:
        """The derivatives of the image ``source`` (made now if not cached)."""
        index = self.index_dir / f"{info.sha256}.{RECIPES_KEY}.json"
        cached = self._read_index(index, info.sha256)
        if cached is not None:
            return cached
        variants = self._make(source, info)
        self._write_atomic(index, msgspec.json.encode(variants))
        return variants

    def _read_index(self, index: Path, source_sha: str) -> dict[str, MediaRef] | None:
        try:
            variants = _index_decoder.decode(index.read_bytes())
        except (OSError, msgspec.DecodeError):
            return None
        if set(variants) != {r.name for r in RECIPES}:
            return None
        if any(self.path(ref.sha256) is None for ref in variants.values()
               if ref.sha256 != source_sha):
            return None
        return variants

    def _make(self, source: Path, info: MediaInfo) -> dict[str, MediaRef]:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as opened:
                is_jpeg = opened.format == "JPEG"
                if is_jpeg:
                    # Decode at a reduced scale when even the largest variant is smaller.
                    opened.draft("RGB", (RECIPES[0].max_side, RECIPES[0].max_side))
                upright = opened.getexif().get(_ORIENTATION_TAG, 1) == 1
                image = ImageOps.exif_transpose(opened) or opened
                image.load()
        alpha = image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        )
        image = image.convert("RGBA" if alpha else "RGB")
        variants: dict[str, MediaRef] = {}
        current = image
        original = MediaRef(sha256=info.sha256, mime=info.mime, bytes=info.bytes,
                            width=info.width, height=info.height)
        for recipe in RECIPES:
            if max(current.size) > recipe.max_side:
                current = current.copy()
                current.thumbnail((recipe.max_side, recipe.max_side), Image.Resampling.LANCZOS,
                                  reducing_gap=3.0)
            elif recipe.reuse_original and current is image and is_jpeg and upright:
                variants[recipe.name] = original
                continue
            variants[recipe.name] = self._store(current, recipe, alpha)
        made = sum(1 for ref in variants.values() if ref.sha256 != info.sha256)
        log.info("made %d derivatives of %s", made, info.path)
        return variants

    def _store(self, image: Image.Image, recipe: Recipe, alpha: bool) -> MediaRef:
        out = io.BytesIO()
        if alpha:
            image.save(out, "PNG", optimize=True)
            mime = "image/png"
        else:
            image.save(out, "JPEG", quality=recipe.quality, optimize=True, progressive=True)
            mime = "image/jpeg"
        data = out.getvalue()
        sha = hashlib.sha256(data).hexdigest()
        if self.path(sha) is None:
            self._write_atomic(self.media_dir / sha, data)
        self.made += 1
        return MediaRef(sha256=sha, mime=mime, bytes=len(data), width=image.width,
                        height=image.height)

    def prune(self, gone: set[str]) -> int:
        """Delete the cached files (and indexes) of these sha256s; returns how many were deleted."""
        removed = 0
        for sha in gone:
            if self.path(sha) is not None:
                removed += self._unlink(self.media_dir / sha)
            index = self.index_dir / f"{sha}.{RECIPES_KEY}.json"
            if index.is_file():
                removed += self._unlink(index)
        if removed:
            log.info("removed %d cached derivative files no longer published", removed)
        return removed

    @staticmethod
    def _unlink(path: Path) -> int:
        try:
            path.unlink()
        except OSError as exc:
            log.warning("cannot remove %s: %s", path.name, exc.strerror or exc)
            return 0
        return 1

    @staticmethod
    def _write_atomic(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            Path(tmp).replace(path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise
