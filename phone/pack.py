"""The public pack on the phone: fetched from the hub, cached, read back offline.

The app starts from the cache at once (the galleries often have no network) and
refreshes in the background when a hub answers: the URL given (``--hub``, or the
one read from the entrance QR code) or the hub found by zeroconf on the museum
Wi-Fi. Media are fetched by sha256 (phone-sized images, thumbnails, audio) and
checked against it; the phone never pairs and sends no token.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import msgspec

from cimaise.errors import CimaiseError, HubUnreachableError
from hub.client.api import HubClient
from hub.client.manifest import MediaRef, PublicPack, public_pack_decoder

log = logging.getLogger(__name__)

PACK_FILE = "pack.json"
ETAG_FILE = "pack.etag"
MEDIA_DIR = "media"
MEDIA_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/flac": ".flac",
}


class PackUnavailableError(CimaiseError):
    """Raised when the phone has no cached pack and no hub gave one."""


def hub_base_url(url: str) -> str:
    """The hub's base URL from any URL on it (the entrance QR code's guide link, --hub)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.netloc:
        raise ValueError(f"not a hub URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def image_for_phone(ref: MediaRef) -> MediaRef:
    """The phone-sized variant of an image, else the original."""
    return ref.variants.get("phone", ref)


def thumb(ref: MediaRef) -> MediaRef:
    """The thumbnail variant of an image, else its phone variant, else the original."""
    return ref.variants.get("thumb") or image_for_phone(ref)


def wanted_media(pack: PublicPack) -> list[MediaRef]:
    """The files the phone keeps: each artwork's phone image and thumbnail, audio, the map."""
    seen: dict[str, MediaRef] = {}
    for artwork in pack.artworks:
        for ref in (image_for_phone(artwork.image), thumb(artwork.image)):
            seen.setdefault(ref.sha256, ref)
        for audio in artwork.audio.values():
            seen.setdefault(audio.sha256, audio)
    if pack.info.map is not None:
        ref = image_for_phone(pack.info.map)
        seen.setdefault(ref.sha256, ref)
    return list(seen.values())


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


class PackCache:
    """The pack and its media in the phone's state folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.media_dir = root / MEDIA_DIR

    def load(self) -> PublicPack | None:
        """The cached pack, or None when there is none (or it is unreadable)."""
        try:
            return public_pack_decoder.decode((self.root / PACK_FILE).read_bytes())
        except FileNotFoundError:
            return None
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.warning("cached pack unreadable, ignoring it: %s", exc)
            return None

    @property
    def etag(self) -> str | None:
        try:
            return (self.root / ETAG_FILE).read_text().strip() or None
        except FileNotFoundError:
            return None

    def store(self, body: bytes, etag: str | None) -> PublicPack:
        """Check and keep a pack fetched from the hub (the old one stays if it is bad)."""
        pack = public_pack_decoder.decode(body)
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.root / PACK_FILE, body)
        _write_atomic(self.root / ETAG_FILE, (etag or "").encode())
        return pack

    def media_path(self, ref: MediaRef) -> Path:
        """Where a media file is kept: its sha256 and the extension of its type.

        Kivy picks image and sound loaders by file extension (a sound with none
        finds no player), so the file is named ``{sha256}.{ext}``.
        """
        return self.media_dir / f"{ref.sha256}{MEDIA_EXTENSIONS.get(ref.mime, '')}"

    def has(self, ref: MediaRef) -> bool:
        return self.media_path(ref).is_file()

    def local(self, ref: MediaRef | None) -> str:
        """The cached file of a media as a path string, or '' when it is not here."""
        if ref is None or not self.has(ref):
            return ""
        return str(self.media_path(ref))

    def prune(self, keep: set[str]) -> int:
        """Delete media the current pack no longer names; returns how many."""
        removed = 0
        if self.media_dir.is_dir():
            for file in self.media_dir.iterdir():
                if file.is_file() and file.name.split(".")[0] not in keep:
                    file.unlink()
                    removed += 1
        return removed


async def _download(
    session: aiohttp.ClientSession, base_url: str, ref: MediaRef, dest: Path
) -> None:
    """Fetch one public media file (no token), checking its sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        async with session.get(f"{base_url}/api/v1/media/{ref.sha256}") as response:
            if response.status != 200:
                raise HubUnreachableError(f"media {ref.sha256[:12]}: HTTP {response.status}")
            with tmp.open("wb") as fh:
                async for chunk in response.content.iter_chunked(64 * 1024):
                    digest.update(chunk)
                    fh.write(chunk)
        if digest.hexdigest() != ref.sha256:
            raise HubUnreachableError(f"media {ref.sha256[:12]} arrived with another hash")
        tmp.replace(dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class Refreshed(msgspec.Struct, frozen=True):
    """What a refresh did."""

    pack: PublicPack
    changed: bool  # a new pack version arrived
    media_fetched: int
    media_missing: int


async def refresh(cache: PackCache, base_url: str, *, request_timeout_s: float = 15.0) -> Refreshed:
    """Bring the cache up to date with the hub at ``base_url``.

    Raises HubUnreachableError when the hub does not answer (the cache is unchanged),
    PackUnavailableError when it answered 304 but the cache lost its pack.
    """
    async with HubClient(base_url, timeout=request_timeout_s) as hub:
        fetched = await hub.public_pack(cache.etag if cache.load() is not None else None)
        if fetched is not None:
            pack = cache.store(fetched.body, fetched.etag)
            changed = True
        else:
            cached = cache.load()
            if cached is None:
                raise PackUnavailableError("the hub's pack was not modified but none is cached")
            pack, changed = cached, False
        fetched_n = missing = 0
        for ref in wanted_media(pack):
            if cache.has(ref):
                continue
            try:
                await _download(hub.session, hub.base_url, ref, cache.media_path(ref))
                fetched_n += 1
            except (aiohttp.ClientError, TimeoutError, HubUnreachableError) as exc:
                missing += 1
                log.warning("media %s not fetched: %s", ref.sha256[:12], exc)
        if changed:
            cache.prune({ref.sha256 for ref in wanted_media(pack)})
    log.info(
        "public pack %s (%s): %d media fetched, %d missing",
        pack.version,
        "new" if changed else "unchanged",
        fetched_n,
        missing,
    )
    return Refreshed(pack, changed, fetched_n, missing)


async def find_hub(
    hub_url: str | None,
    *,
    site: str | None = None,
    wait_s: float = 8.0,
    interfaces: list[str] | None = None,
) -> str:
    """The hub's base URL: the one given, else the first hub (of ``site``) zeroconf finds.

    Raises HubUnreachableError when discovery finds none within ``wait_s``.
    """
    if hub_url:
        return hub_base_url(hub_url)
    from hub.client.discovery import discover_hub

    endpoint = await discover_hub(site, wait_s=wait_s, interfaces=interfaces)
    return endpoint.url
