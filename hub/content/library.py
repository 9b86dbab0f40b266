"""The hub's content library: the published version of a bundle, and safe reloads.

``ContentLibrary.reload()`` reads, checks and publishes the bundle; when the bundle
is bad it raises ContentError (file, field, problem) and keeps serving the last
good version, so a typo in a text never takes the galleries down.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import warnings
from pathlib import Path

import msgspec
from PIL import Image

from cimaise.errors import ContentError
from hub.client.manifest import Artwork, Beacon, Manifest, MediaRef, PublicPack, Zone
from hub.content.bundle import SourceBundle
from hub.content.checks import MediaInfo, check_bundle, media_uses, raise_problems
from hub.content.derivatives import DerivativeCache
from hub.content.loader import read_bundle
from hub.content.probe import probe_file
from hub.content.publish import build_manifest, build_public_pack

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class PublishedContent:
    """One published version of the content, immutable; what the routes serve."""

    manifest: Manifest
    manifest_json: bytes
    public_pack: PublicPack
    public_pack_json: bytes
    bundle_dir: Path
    _files: dict[str, Path]  # sha256 -> file (bundle originals and cached derivatives)
    _refs: dict[str, MediaRef]  # sha256 -> its MediaRef
    _public: frozenset[str]  # sha256 of media the public pack names
    _artworks: dict[str, Artwork]
    _beacons: dict[str, Beacon]
    _zones: dict[str, Zone]

    @property
    def etag(self) -> str:
        """The manifest's version (a content hash), used as its HTTP ETag."""
        return self.manifest.version

    @property
    def public_etag(self) -> str:
        """The public pack's version (a content hash), used as its HTTP ETag."""
        return self.public_pack.version

    def media_path(self, sha256: str) -> Path | None:
        """The file of a media named by the manifest (original or derivative), if any."""
        return self._files.get(sha256)

    def media_ref(self, sha256: str) -> MediaRef | None:
        """The MediaRef (mime, size) of a media named by the manifest."""
        return self._refs.get(sha256)

    def is_public_media(self, sha256: str) -> bool:
        """True when the public pack names this media (visitors may fetch it without a token)."""
        return sha256 in self._public

    def artwork(self, artwork_id: str) -> Artwork | None:
        """An artwork by id, published or not."""
        return self._artworks.get(artwork_id)

    def public_artwork(self, artwork_id: str) -> Artwork | None:
        """A published artwork by id (as in the public pack), or None."""
        art = self._artworks.get(artwork_id)
        return art if art is not None and art.published else None

    def beacon(self, beacon_id: str) -> Beacon | None:
        """A beacon by id (the ``/b/{id}`` short link)."""
        return self._beacons.get(beacon_id)

    def zone(self, zone_id: str) -> Zone | None:
        """A zone by id."""
        return self._zones.get(zone_id)


def _image_problem(exc: BaseException) -> str:
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return "image too large in pixels to decode safely"
    return f"broken image, cannot be decoded ({exc})"


def publish_bundle(bundle_dir: Path, cache: DerivativeCache) -> PublishedContent:
    """Read, check and publish the bundle in ``bundle_dir``; raises ContentError when it is bad."""
    src: SourceBundle = read_bundle(bundle_dir)
    uses = media_uses(src)
    infos: dict[str, MediaInfo | str] = {}
    for use in uses:
        if use.path not in infos:
            infos[use.path] = probe_file(bundle_dir, use.path)
    raise_problems(check_bundle(src, infos))

    refs_by_path: dict[str, MediaRef] = {}
    files: dict[str, Path] = {}
    problems: list[ContentError] = []
    for use in uses:
        if use.path in refs_by_path:
            continue
        info = infos[use.path]
        assert isinstance(info, MediaInfo)
        variants: dict[str, MediaRef] = {}
        if info.kind == "image":
            try:
                variants = cache.variants(bundle_dir / use.path, info)
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError,
                    Image.DecompressionBombWarning) as exc:
                problems.append(ContentError(use.file, use.field,
                                             f"{use.path}: {_image_problem(exc)}"))
                continue
            for ref in variants.values():
                path = cache.path(ref.sha256)
                if path is not None:
                    files[ref.sha256] = path
        refs_by_path[use.path] = MediaRef(
            sha256=info.sha256, mime=info.mime, bytes=info.bytes, width=info.width,
            height=info.height, duration_s=info.duration_s, variants=variants,
        )
        files[info.sha256] = bundle_dir / use.path
    raise_problems(problems)

    manifest = build_manifest(src, refs_by_path)
    pack = build_public_pack(manifest)
    refs = {ref.sha256: ref for ref in manifest.media()}
    return PublishedContent(
        manifest=manifest,
        manifest_json=msgspec.json.encode(manifest),
        public_pack=pack,
        public_pack_json=msgspec.json.encode(pack),
        bundle_dir=bundle_dir,
        _files={sha: path for sha, path in files.items() if sha in refs},
        _refs=refs,
        _public=frozenset(ref.sha256 for ref in pack.media()),
        _artworks={a.id: a for a in manifest.artworks},
        _beacons={b.id: b for b in manifest.beacons},
        _zones={z.id: z for z in manifest.zones},
    )


class ContentLibrary:
    """The content a hub serves: the last good published version of its bundle."""

    def __init__(self, bundle_dir: Path, cache_dir: Path) -> None:
        self.bundle_dir = bundle_dir
        self.cache_dir = cache_dir
        self._cache = DerivativeCache(cache_dir)
        self._lock = threading.Lock()
        self._current: PublishedContent | None = None
        self._last_error: ContentError | None = None
        self._published: set[str] = set()  # sha256 of every media this library published

    @property
    def current(self) -> PublishedContent | None:
        """The version being served (None until a bundle has loaded once)."""
        return self._current

    @property
    def last_error(self) -> ContentError | None:
        """Why the last reload failed (None when it succeeded)."""
        return self._last_error

    @property
    def derivatives_made(self) -> int:
        """How many derivative files this library has made since it was created."""
        return self._cache.made

    def reload(self) -> PublishedContent:
        """Load the bundle again (blocking); on ContentError the previous version stays served.

        Call it from a thread (``await asyncio.to_thread(library.reload)`` or
        :meth:`reload_async`) when an event loop is running.
        """
        with self._lock:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", Image.DecompressionBombWarning)
                    content = publish_bundle(self.bundle_dir, self._cache)
            except ContentError as exc:
                self._last_error = exc
                log.warning("content bundle refused, still serving %s: %s",
                            self._current.etag if self._current else "nothing", exc)
                raise
            except Exception as exc:  # a bad bundle must never take the hub down
                log.exception("content bundle could not be loaded")
                error = ContentError(str(self.bundle_dir), "$", f"cannot be loaded ({exc!r})")
                self._last_error = error
                raise error from exc
            previous, self._current = self._current, content
            self._last_error = None
            self._prune(content, previous)
            log.info("content %s published: %d artworks, %d beacons", content.etag,
                     len(content.manifest.artworks), len(content.manifest.beacons))
            return content

    def _prune(self, content: PublishedContent, previous: PublishedContent | None) -> None:
        """Delete cached derivatives this library published before and no longer needs.

        Only files this library itself published are candidates, so another program
        sharing the cache folder (``cimaise hub labels``) never deletes the hub's files.
        The version just replaced is kept: a device may still be fetching its media.
        """
        keep = {ref.sha256 for ref in content.manifest.media()}
        if previous is not None:
            keep |= {ref.sha256 for ref in previous.manifest.media()}
        gone = self._published - keep
        self._published = (self._published | keep) - gone
        # the bundle's own files are not in the cache: prune() only touches cached ones
        self._cache.prune(gone)

    async def reload_async(self) -> PublishedContent:
        """:meth:`reload` in a worker thread, so the event loop keeps serving."""
        return await asyncio.to_thread(self.reload)
