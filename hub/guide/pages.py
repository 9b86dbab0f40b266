"""What each guide page shows, computed from the public pack (pure: no HTTP, no templates).

Only the public pack is read, so an unpublished artwork can never reach a visitor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from hub.client.manifest import Artwork, Beacon, MediaRef, PublicPack, PublicZone

MEDIA_URL = "/api/v1/media/{sha256}"
GUIDE = "/guide/"


def localize(text: Mapping[str, str], lang: str, default: str) -> str:
    """``text`` in ``lang``, else in the default language, else in any language it has."""
    return text.get(lang) or text.get(default) or next(iter(text.values()), "")


def paragraphs(text: str) -> list[list[str]]:
    """Split a text into paragraphs (blank lines) made of lines (single line breaks)."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if lines:
            out.append(lines)
    return out


def media_url(ref: MediaRef) -> str:
    """Where the hub serves a media file."""
    return MEDIA_URL.format(sha256=ref.sha256)


def variant(ref: MediaRef, name: str) -> MediaRef:
    """A named derivative of an image (the image itself when the variant is missing)."""
    return ref.variants.get(name, ref)


def human_size(n: int) -> str:
    """A byte count for people: 812 kB, 1.8 MB."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{max(1, round(n / 1000))} kB"


def artwork_url(artwork_id: str) -> str:
    """The guide page of an artwork."""
    return f"{GUIDE}artworks/{artwork_id}"


def zone_anchor(zone_id: str) -> str:
    """The id of a room's section on the guide's home page."""
    return f"room-{zone_id}"


@dataclasses.dataclass(frozen=True, slots=True)
class Room:
    """A room on the home page with the published artworks in it (zone None: elsewhere)."""

    zone: PublicZone | None
    artworks: list[Artwork]


def rooms(pack: PublicPack) -> list[Room]:
    """The rooms in the bundle's order, each with its artworks; empty rooms left out."""
    by_zone: dict[str | None, list[Artwork]] = {}
    for art in pack.artworks:
        by_zone.setdefault(art.zone, []).append(art)
    out = [Room(zone, by_zone[zone.id]) for zone in pack.zones if zone.id in by_zone]
    known = {zone.id for zone in pack.zones}
    stray = [art for zone_id, arts in by_zone.items() if zone_id not in known for art in arts]
    if stray:
        out.append(Room(None, stray))
    return out


def find_artwork(pack: PublicPack, artwork_id: str) -> Artwork | None:
    """A published artwork by id."""
    return next((a for a in pack.artworks if a.id == artwork_id), None)


def neighbours(pack: PublicPack, artwork_id: str) -> tuple[Artwork | None, Artwork | None]:
    """The artworks before and after this one in the visit's order."""
    ids = [a.id for a in pack.artworks]
    if artwork_id not in ids:
        return None, None
    i = ids.index(artwork_id)
    before = pack.artworks[i - 1] if i > 0 else None
    after = pack.artworks[i + 1] if i + 1 < len(ids) else None
    return before, after


def find_zone(pack: PublicPack, zone_id: str | None) -> PublicZone | None:
    """A zone by id."""
    return next((z for z in pack.zones if z.id == zone_id), None)


def beacon_target(pack: PublicPack, beacon: Beacon | None) -> str | None:
    """Where a ``/b/{beacon}`` link leads: its artwork's page, else its room, else the guide.

    None for an unknown beacon. A beacon by an unpublished artwork leads to its room
    (or the guide's home): the link on a label keeps working and reveals nothing.
    """
    if beacon is None:
        return None
    if beacon.artwork is not None and find_artwork(pack, beacon.artwork) is not None:
        return artwork_url(beacon.artwork)
    if beacon.zone is not None and find_zone(pack, beacon.zone) is not None:
        return f"{GUIDE}#{zone_anchor(beacon.zone)}"
    return GUIDE
