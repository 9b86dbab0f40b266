"""The content manifest: what ``GET /api/v1/content/manifest`` returns to kiosks.

It is the published exhibition in wire form: texts per language, and every image
or sound as a content-addressed media reference (fetched from
``GET /api/v1/media/{sha256}``). The public pack for visitors' phones
(``GET /api/v1/public/pack``, :class:`PublicPack`) has nearly the same shape, with
only published artworks and nothing about detection or devices.
Fields are only ever added (optional), never renamed.
"""

from __future__ import annotations

from typing import Literal

import msgspec

# language code -> text, e.g. {"fr": "La Vague", "en": "The Wave"}
Localized = dict[str, str]


class MediaRef(msgspec.Struct, frozen=True, kw_only=True):
    """A media file by its sha256; images carry derivatives made by the hub."""

    sha256: str
    mime: str
    bytes: int
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    # derivative name ("thumb", "screen", "zoom", "phone") -> MediaRef of that file
    variants: dict[str, MediaRef] = {}


class Zone(msgspec.Struct, frozen=True, kw_only=True):
    """A room or part of a room where beacon agents count visitors."""

    id: str
    name: Localized
    room: str | None = None
    enter_rssi: float = -70.0
    exit_rssi: float = -80.0
    min_enter_s: float = 5.0
    min_exit_s: float = 15.0


class Artwork(msgspec.Struct, frozen=True, kw_only=True):
    """One artwork with its texts and media."""

    id: str
    title: Localized
    artist: str
    date: str
    medium: Localized
    text: Localized
    image: MediaRef
    zone: str | None = None
    themes: list[str] = []
    audio: dict[str, MediaRef] = {}  # language -> audio description
    alt: Localized = {}  # image description for screen readers
    published: bool = True


class IBeaconId(msgspec.Struct, frozen=True, kw_only=True):
    uuid: str
    major: int
    minor: int


class EddystoneUid(msgspec.Struct, frozen=True, kw_only=True):
    namespace: str  # 10 bytes, hex
    instance: str  # 6 bytes, hex


class Beacon(msgspec.Struct, frozen=True, kw_only=True):
    """A beacon identity the museum owns: a fixed tag or a beacon agent's advertisement."""

    id: str  # short id, used in the /b/{id} link
    kind: Literal["fixed", "agent"] = "fixed"
    ibeacon: IBeaconId | None = None
    eddystone_uid: EddystoneUid | None = None
    artwork: str | None = None
    zone: str | None = None
    measured_power: int | None = None  # RSSI at 1 m, dBm


class InfoEvent(msgspec.Struct, frozen=True, kw_only=True):
    date: str
    title: Localized
    text: Localized = {}


class Info(msgspec.Struct, frozen=True, kw_only=True):
    """Practical information for visitors."""

    hours: Localized = {}
    accessibility: Localized = {}
    address: str | None = None
    map: MediaRef | None = None
    events: list[InfoEvent] = []


class Exhibition(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: Localized
    subtitle: Localized = {}
    languages: list[str]
    default_language: str
    themes: dict[str, Localized] = {}  # theme id -> name
    credits: Localized = {}  # who made the content, and under which licence


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """A published content version."""

    version: str  # content hash; also the HTTP ETag
    exhibition: Exhibition
    zones: list[Zone]
    artworks: list[Artwork]
    beacons: list[Beacon]
    info: Info

    def media(self) -> list[MediaRef]:
        """Every media file the manifest names, variants included, each once."""
        return _collect_media(self.artworks, self.info)


class PublicZone(msgspec.Struct, frozen=True, kw_only=True):
    """A room as visitors see it: its name only (no detection thresholds)."""

    id: str
    name: Localized
    room: str | None = None


class PublicPack(msgspec.Struct, frozen=True, kw_only=True):
    """What visitors' phones may read (``GET /api/v1/public/pack``, no token).

    Published artworks only, their texts and media (images carry only the
    ``thumb`` and ``phone`` variants), the zones' names, the beacon -> artwork
    map and the practical information. Nothing unpublished, nothing about
    devices or visitors.
    """

    version: str  # content hash of the pack; also its HTTP ETag
    exhibition: Exhibition
    zones: list[PublicZone]
    artworks: list[Artwork]
    beacons: list[Beacon]
    info: Info

    def media(self) -> list[MediaRef]:
        """Every media file the pack names, variants included, each once."""
        return _collect_media(self.artworks, self.info)


def _collect_media(artworks: list[Artwork], info: Info) -> list[MediaRef]:
    seen: dict[str, MediaRef] = {}

    def add(ref: MediaRef | None) -> None:
        if ref is None or ref.sha256 in seen:
            return
        seen[ref.sha256] = ref
        for variant in ref.variants.values():
            add(variant)

    for artwork in artworks:
        add(artwork.image)
        for audio in artwork.audio.values():
            add(audio)
    add(info.map)
    return list(seen.values())


manifest_decoder = msgspec.json.Decoder(Manifest)
public_pack_decoder = msgspec.json.Decoder(PublicPack)
