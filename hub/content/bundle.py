"""The files of a content bundle as typed source records, and their strict decoding.

A bundle is a folder::

    exhibition.json        the exhibition, its languages, themes and practical information
    zones.json             rooms/zones and their detection thresholds
    beacons.json           fixed tags and beacon agents' identities -> artwork/zone
    artworks/<id>.json     one file per artwork
    media/...              images and audio the JSON files name by relative path

Each file is decoded with msgspec against the structs below (unknown fields refused,
constraints checked), so an error carries the JSON path of the field at fault. This
module is pure: it is given bytes, never opens a file.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, TypeVar

import msgspec

from cimaise.errors import ContentError
from hub.client.events import whole

Id = Annotated[str, msgspec.Meta(pattern=whole(r"[a-z0-9][a-z0-9-]{0,63}"))]
Lang = Annotated[str, msgspec.Meta(pattern=whole(r"[a-z]{2,3}"))]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Localized = dict[Lang, Text]
ShortLocalized = dict[Lang, ShortText]
MediaPath = Annotated[
    str,
    msgspec.Meta(
        pattern=whole(r"media/[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*"),
        max_length=255,
    ),
]
Rssi = Annotated[float, msgspec.Meta(ge=-127, le=0)]
Seconds = Annotated[float, msgspec.Meta(ge=0, le=3600)]
Uint16 = Annotated[int, msgspec.Meta(ge=0, le=65535)]
UuidText = Annotated[
    str,
    msgspec.Meta(
        pattern=whole(
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
        )
    ),
]
Hex20 = Annotated[str, msgspec.Meta(pattern=whole(r"[0-9a-fA-F]{20}"))]
Hex12 = Annotated[str, msgspec.Meta(pattern=whole(r"[0-9a-fA-F]{12}"))]
# [0-9], not \d: in Python \d also matches other scripts' digits
IsoDate = Annotated[
    str,
    msgspec.Meta(pattern=whole(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?")),
]


class _Source(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of the bundle's source records: unknown fields are typos, refused."""


class SourceEvent(_Source, frozen=True, kw_only=True):
    date: IsoDate
    title: ShortLocalized
    text: Localized = {}


class SourceInfo(_Source, frozen=True, kw_only=True):
    hours: Localized = {}
    accessibility: Localized = {}
    address: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    map: MediaPath | None = None
    events: list[SourceEvent] = []


class SourceExhibition(_Source, frozen=True, kw_only=True):
    """``exhibition.json``."""

    id: Id
    title: ShortLocalized
    subtitle: ShortLocalized = {}
    languages: Annotated[list[Lang], msgspec.Meta(min_length=1, max_length=20)]
    default_language: Lang
    themes: dict[Id, ShortLocalized] = {}
    credits: Localized = {}
    info: SourceInfo = SourceInfo()


class SourceZone(_Source, frozen=True, kw_only=True):
    id: Id
    name: ShortLocalized
    room: ShortText | None = None
    enter_rssi: Rssi = -70.0
    exit_rssi: Rssi = -80.0
    min_enter_s: Seconds = 5.0
    min_exit_s: Seconds = 15.0


class SourceZones(_Source, frozen=True, kw_only=True):
    """``zones.json``."""

    zones: Annotated[list[SourceZone], msgspec.Meta(min_length=1, max_length=500)]


class SourceArtwork(_Source, frozen=True, kw_only=True):
    """``artworks/<id>.json``."""

    id: Id
    title: ShortLocalized
    artist: ShortText
    date: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    medium: ShortLocalized
    text: Localized
    alt: Localized
    image: MediaPath
    audio: dict[Lang, MediaPath] = {}
    zone: Id | None = None
    themes: list[Id] = []
    published: bool = True
    order: int = 0  # position within its zone; ties by id


class SourceIBeacon(_Source, frozen=True, kw_only=True):
    uuid: UuidText
    major: Uint16
    minor: Uint16


class SourceEddystoneUid(_Source, frozen=True, kw_only=True):
    namespace: Hex20
    instance: Hex12


class SourceBeacon(_Source, frozen=True, kw_only=True):
    id: Id
    kind: Literal["fixed", "agent"] = "fixed"
    ibeacon: SourceIBeacon | None = None
    eddystone_uid: SourceEddystoneUid | None = None
    artwork: Id | None = None
    zone: Id | None = None
    measured_power: Annotated[int, msgspec.Meta(ge=-127, le=20)] | None = None


class SourceBeacons(_Source, frozen=True, kw_only=True):
    """``beacons.json``."""

    beacons: Annotated[list[SourceBeacon], msgspec.Meta(max_length=5000)] = []


class SourceBundle(msgspec.Struct, frozen=True, kw_only=True):
    """Every decoded file of a bundle; ``artworks`` maps file name (``<id>.json``) to record."""

    exhibition: SourceExhibition
    zones: SourceZones
    beacons: SourceBeacons
    artworks: dict[str, SourceArtwork]


EXHIBITION_FILE = "exhibition.json"
ZONES_FILE = "zones.json"
BEACONS_FILE = "beacons.json"
ARTWORKS_DIR = "artworks"

T = TypeVar("T", bound="_Source")

_decoders: dict[type[_Source], msgspec.json.Decoder[_Source]] = {}
_AT = re.compile(r"^(?P<problem>.*) - at `(?P<path>\$[^`]*)`$", re.DOTALL)


def decode_file(file: str, data: bytes, kind: type[T]) -> T:
    """Decode one bundle file; raises ContentError naming the file, JSON path and problem."""
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    try:
        result = decoder.decode(data)
    except msgspec.DecodeError as exc:
        match = _AT.match(str(exc))
        if match:
            raise ContentError(file, match["path"], match["problem"]) from None
        raise ContentError(file, "$", str(exc)) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ContentError(file, "$", f"cannot be decoded ({type(exc).__name__})") from None
    assert isinstance(result, kind)
    return result


def artwork_file(artwork_id: str) -> str:
    """The path of an artwork's file inside a bundle."""
    return f"{ARTWORKS_DIR}/{artwork_id}.json"


def bundle_json_schema() -> dict[str, object]:
    """The JSON Schema (2020-12) of every bundle file, as published in ``content/schema``."""
    kinds = [SourceExhibition, SourceZones, SourceBeacons, SourceArtwork]
    (refs, components) = msgspec.json.schema_components(kinds, ref_template="#/$defs/{name}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://cimaise.example/schema/content-bundle.schema.json",
        "title": "Cimaise content bundle files",
        "description": (
            "One schema per file of a content bundle: exhibition.json (SourceExhibition), "
            "zones.json (SourceZones), beacons.json (SourceBeacons), artworks/<id>.json "
            "(SourceArtwork). See docs/content-format.md."
        ),
        "oneOf": list(refs),
        "$defs": components,
    }
