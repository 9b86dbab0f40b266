"""Small public packs built by hand, for tests that need no content bundle."""

from __future__ import annotations

from hub.client.manifest import Artwork, Beacon, Exhibition, IBeaconId, Info, MediaRef, PublicPack


def hand_pack(n: int = 3) -> PublicPack:
    image = MediaRef(sha256="0" * 64, mime="image/jpeg", bytes=1, width=1, height=1)
    artworks = [
        Artwork(
            id=f"art-{i}",
            title={"en": f"Étude n° {i}, with a rather long title that wraps", "fr": f"Étude {i}"},
            artist=f"Artist {i}",
            date=f"19{10 + i}",
            medium={"en": "Oil on canvas"},
            text={"en": "Text."},
            image=image,
        )
        for i in range(n)
    ]
    beacons = [
        Beacon(
            id=f"t{i}",
            kind="fixed",
            ibeacon=IBeaconId(uuid="f7826da6-4fa2-4e98-8024-bc5b71e0893e", major=1, minor=i),
            artwork=f"art-{i}",
        )
        for i in range(n)
        if i != 1  # art-1 has no beacon: its label links to its guide page
    ]
    return PublicPack(
        version="v1",
        exhibition=Exhibition(id="x", title={"en": "X"}, languages=["en"], default_language="en"),
        zones=[],
        artworks=artworks,
        beacons=beacons,
        info=Info(),
    )
