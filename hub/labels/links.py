"""Which link each artwork's label carries: the pure part of the label sheet."""

from __future__ import annotations

import dataclasses
import socket
from urllib.parse import quote

from hub.client.manifest import PublicPack


@dataclasses.dataclass(frozen=True, slots=True)
class Label:
    """What one printed label shows."""

    artwork: str
    title: str
    artist: str
    date: str
    medium: str
    url: str  # the /b/{beacon} short link (or the guide page when no beacon is set)


def public_base_url(host: str, port: int) -> str:
    """The hub's URL as visitors' phones reach it, from the hub's host and port settings.

    A hub listening on every interface has no single address: it is named by its
    mDNS host name then, which phones on the museum Wi-Fi resolve.
    """
    if host in {"", "0.0.0.0", "::"}:
        host = f"{socket.gethostname()}.local"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}" if port != 80 else f"http://{host}"


def label_links(pack: PublicPack, base_url: str, language: str | None = None) -> list[Label]:
    """One label per published artwork, in pack order, texts in ``language``.

    The link is the artwork's ``/b/{beacon}`` short link, a fixed tag's beacon
    preferred over an agent's; an artwork with no beacon links to its guide page.
    """
    lang = language or pack.exhibition.default_language
    fallback = pack.exhibition.default_language
    base = base_url.rstrip("/")
    beacons: dict[str, str] = {}
    for beacon in sorted(pack.beacons, key=lambda b: b.kind != "fixed"):
        if beacon.artwork is not None:
            beacons.setdefault(beacon.artwork, beacon.id)
    labels = []
    for artwork in pack.artworks:
        beacon_id = beacons.get(artwork.id)
        if beacon_id is not None:
            url = f"{base}/b/{quote(beacon_id, safe='')}"
        else:
            url = f"{base}/guide/artworks/{quote(artwork.id, safe='')}"

        def text(values: dict[str, str]) -> str:
            return values.get(lang) or values.get(fallback) or next(iter(values.values()), "")

        labels.append(
            Label(
                artwork=artwork.id,
                title=text(artwork.title),
                artist=artwork.artist,
                date=artwork.date,
                medium=text(artwork.medium),
                url=url,
            )
        )
    return labels
