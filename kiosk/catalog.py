"""Reading the exhibition for the screens: texts in a language, rooms, themes, search.

Pure functions over a ``Manifest``; the widgets only ask.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from hub.client.manifest import Artwork, Manifest, MediaRef


def text(texts: Mapping[str, str], language: str, fallback: str = "") -> str:
    """The text in ``language``, else in the fallback language, else any, else ''.

    An empty translation counts as missing. The phone guide reads texts with it too.
    """
    return texts.get(language) or texts.get(fallback) or next(iter(texts.values()), "")


def artwork_link(manifest: Manifest, artwork_id: str, base_url: str) -> str:
    """The link a visitor's phone follows to keep reading about an artwork.

    The artwork's ``/b/{beacon}`` short link, as on its printed label: the fixed tag
    standing by it preferred over an agent's beacon; its guide page when no beacon
    names it. ``''`` when the kiosk does not know its hub's URL.
    """
    if not base_url:
        return ""
    base = base_url.rstrip("/")
    for beacon in sorted(manifest.beacons, key=lambda b: b.kind != "fixed"):
        if beacon.artwork == artwork_id:
            return f"{base}/b/{quote(beacon.id, safe='')}"
    return f"{base}/guide/artworks/{quote(artwork_id, safe='')}"


def variant(ref: MediaRef, name: str) -> MediaRef:
    """The named derivative of an image ("thumb", "screen", "zoom"), else the original."""
    return ref.variants.get(name, ref)


@dataclasses.dataclass(frozen=True, slots=True)
class Section:
    """A group of artworks on the home screen (a room or a theme)."""

    key: str
    title: str
    artworks: tuple[Artwork, ...]


def visible(manifest: Manifest) -> list[Artwork]:
    """The artworks a visitor may see, in the bundle's order."""
    return [a for a in manifest.artworks if a.published]


def by_room(manifest: Manifest, language: str) -> list[Section]:
    """Artworks grouped by zone, in the order of the zones; those without one last."""
    fallback = manifest.exhibition.default_language
    sections: list[Section] = []
    artworks = visible(manifest)
    for zone in manifest.zones:
        inside = tuple(a for a in artworks if a.zone == zone.id)
        if inside:
            sections.append(Section(zone.id, text(zone.name, language, fallback), inside))
    known = {z.id for z in manifest.zones}
    rest = tuple(a for a in artworks if a.zone not in known)
    if rest:
        sections.append(Section("", "", rest))
    return sections


def by_theme(manifest: Manifest, language: str) -> list[Section]:
    """Artworks grouped by theme (an artwork may appear under several)."""
    fallback = manifest.exhibition.default_language
    artworks = visible(manifest)
    sections: list[Section] = []
    for theme_id, names in manifest.exhibition.themes.items():
        inside = tuple(a for a in artworks if theme_id in a.themes)
        if inside:
            sections.append(Section(theme_id, text(names, language, fallback), inside))
    undeclared = sorted({t for a in artworks for t in a.themes} - set(manifest.exhibition.themes))
    for theme_id in undeclared:
        inside = tuple(a for a in artworks if theme_id in a.themes)
        sections.append(Section(theme_id, theme_id.replace("-", " ").capitalize(), inside))
    return sections


def fold(value: str) -> str:
    """Lower case without accents, so 'Ecole' finds 'École' (the phone's search too)."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search(manifest: Manifest, query: str, language: str) -> list[Artwork]:
    """Artworks whose title, artist, date, medium or themes contain every word of the query.

    Titles match in any language (visitors type the name they know); an empty query
    finds nothing. Title and artist matches come first.
    """
    words = fold(query).split()
    if not words:
        return []
    fallback = manifest.exhibition.default_language
    theme_names = manifest.exhibition.themes
    strong: list[Artwork] = []
    weak: list[Artwork] = []
    for artwork in visible(manifest):
        head = fold(" ".join([*artwork.title.values(), artwork.artist]))
        themes = " ".join(
            text(theme_names.get(t, {}), language, fallback) or t for t in artwork.themes
        )
        body = fold(" ".join([artwork.date, text(artwork.medium, language, fallback), themes]))
        if all(w in head for w in words):
            strong.append(artwork)
        elif all(w in head or w in body for w in words):
            weak.append(artwork)
    return strong + weak


def audio_for(artwork: Artwork, language: str) -> MediaRef | None:
    """The audio description in the visitor's language, else the first there is."""
    if language in artwork.audio:
        return artwork.audio[language]
    return next(iter(artwork.audio.values()), None)


def event_date(value: str) -> str:
    """An event's date as people read it: '2026-12-05T15:00' becomes '2026-12-05  15:00'."""
    day, _, hour = value.partition("T")
    hour = hour.removesuffix("Z")[:5]
    return f"{day}  {hour}" if hour else day


def find(manifest: Manifest, artwork_id: str) -> Artwork | None:
    """The artwork with that id, if published."""
    return next((a for a in visible(manifest) if a.id == artwork_id), None)


def kiosk_media(manifest: Manifest) -> list[MediaRef]:
    """The media files a kiosk needs: its image sizes, sounds and the map, each once.

    Images with derivatives need only those the kiosk shows (thumb, screen, zoom); the
    original is fetched only when an image has none.
    """
    wanted: dict[str, MediaRef] = {}

    def add_image(ref: MediaRef | None) -> None:
        if ref is None:
            return
        sizes = [ref.variants[n] for n in ("thumb", "screen", "zoom") if n in ref.variants]
        for one in sizes or [ref]:
            wanted.setdefault(one.sha256, one)

    for artwork in visible(manifest):
        add_image(artwork.image)
        for sound in artwork.audio.values():
            wanted.setdefault(sound.sha256, sound)
    add_image(manifest.info.map)
    return list(wanted.values())


def ordered_languages(languages: Sequence[str], default: str) -> list[str]:
    """The kiosk's languages with the default first."""
    return sorted(languages, key=lambda code: (code != default, languages.index(code)))
