"""Turn a checked bundle into its published forms: the manifest and the public pack.

Pure: given the decoded bundle and a MediaRef (with derivatives) for every media
path it uses, build the wire structs and their content-hash versions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import msgspec

from hub.client.manifest import (
    Artwork,
    Beacon,
    EddystoneUid,
    Exhibition,
    IBeaconId,
    Info,
    InfoEvent,
    Manifest,
    MediaRef,
    PublicPack,
    PublicZone,
    Zone,
)
from hub.content.bundle import SourceBundle

# The image variants visitors' phones get; the others (screen, zoom) are for kiosks.
PUBLIC_VARIANTS = ("thumb", "phone")


def content_hash(data: bytes) -> str:
    """The version string of published content: the first 128 bits of its sha256, in hex."""
    return hashlib.sha256(data).hexdigest()[:32]


def build_manifest(src: SourceBundle, media: Mapping[str, MediaRef]) -> Manifest:
    """The manifest of ``src`` (every artwork, published or not), versioned by content hash."""
    ex = src.exhibition
    exhibition = Exhibition(
        id=ex.id,
        title=dict(ex.title),
        subtitle=dict(ex.subtitle),
        languages=list(ex.languages),
        default_language=ex.default_language,
        themes={k: dict(v) for k, v in ex.themes.items()},
        credits=dict(ex.credits),
    )
    zones = [
        Zone(
            id=z.id,
            name=dict(z.name),
            room=z.room,
            enter_rssi=z.enter_rssi,
            exit_rssi=z.exit_rssi,
            min_enter_s=z.min_enter_s,
            min_exit_s=z.min_exit_s,
        )
        for z in src.zones.zones
    ]
    zone_rank = {z.id: i for i, z in enumerate(src.zones.zones)}
    sources = sorted(
        src.artworks.values(),
        key=lambda a: (zone_rank.get(a.zone or "", len(zone_rank)), a.order, a.id),
    )
    artworks = [
        Artwork(
            id=a.id,
            title=dict(a.title),
            artist=a.artist,
            date=a.date,
            medium=dict(a.medium),
            text=dict(a.text),
            image=media[a.image],
            zone=a.zone,
            themes=list(a.themes),
            audio={lang: media[path] for lang, path in a.audio.items()},
            alt=dict(a.alt),
            published=a.published,
        )
        for a in sources
    ]
    beacons = [
        Beacon(
            id=b.id,
            kind=b.kind,
            ibeacon=None if b.ibeacon is None else IBeaconId(
                uuid=b.ibeacon.uuid.lower(), major=b.ibeacon.major, minor=b.ibeacon.minor
            ),
            eddystone_uid=None if b.eddystone_uid is None else EddystoneUid(
                namespace=b.eddystone_uid.namespace.lower(),
                instance=b.eddystone_uid.instance.lower(),
            ),
            artwork=b.artwork,
            zone=b.zone,
            measured_power=b.measured_power,
        )
        for b in src.beacons.beacons
    ]
    si = ex.info
    info = Info(
        hours=dict(si.hours),
        accessibility=dict(si.accessibility),
        address=si.address,
        map=None if si.map is None else media[si.map],
        events=[InfoEvent(date=e.date, title=dict(e.title), text=dict(e.text)) for e in si.events],
    )
    draft = Manifest(
        version="", exhibition=exhibition, zones=zones, artworks=artworks, beacons=beacons,
        info=info,
    )
    return msgspec.structs.replace(draft, version=content_hash(msgspec.json.encode(draft)))


def _public_ref(ref: MediaRef) -> MediaRef:
    variants = {k: v for k, v in ref.variants.items() if k in PUBLIC_VARIANTS}
    return msgspec.structs.replace(ref, variants=variants)


def build_public_pack(manifest: Manifest) -> PublicPack:
    """What visitors' phones may read: published artworks, zone names, their beacons, info."""
    artworks = [
        msgspec.structs.replace(a, image=_public_ref(a.image))
        for a in manifest.artworks
        if a.published
    ]
    published = {a.id for a in artworks}
    beacons = [
        b for b in manifest.beacons
        if (b.artwork is None and b.zone is not None) or (b.artwork in published)
    ]
    zones = [PublicZone(id=z.id, name=z.name, room=z.room) for z in manifest.zones]
    info = manifest.info
    if info.map is not None:
        info = msgspec.structs.replace(info, map=_public_ref(info.map))
    draft = PublicPack(
        version="", exhibition=manifest.exhibition, zones=zones, artworks=artworks,
        beacons=beacons, info=info,
    )
    return msgspec.structs.replace(draft, version=content_hash(msgspec.json.encode(draft)))
