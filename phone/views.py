"""What each screen shows, as plain values: the pack read in a language, files resolved.

Pure. The app copies these onto its Kivy properties; ``local`` turns a media
reference into the cached file's path ('' when it is not cached).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from hub.client.manifest import MediaRef, PublicPack
from phone import guide
from phone.pack import image_for_phone, thumb

Local = Callable[[MediaRef | None], str]


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    """An artwork in a list (browse results, "also close by")."""

    artwork_id: str
    title: str
    subtitle: str
    thumb: str


@dataclasses.dataclass(frozen=True, slots=True)
class Card:
    """The "near you" card (all empty: nothing near)."""

    artwork_id: str = ""
    title: str = ""
    subtitle: str = ""
    image: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class ArtworkView:
    """The artwork page."""

    artwork_id: str
    title: str
    meta: str
    text: str
    image: str
    audio: str


@dataclasses.dataclass(frozen=True, slots=True)
class InfoView:
    """The practical information page."""

    title: str
    hours: str
    accessibility: str
    address: str
    events: str


def _byline(artist: str, date: str) -> str:
    return ", ".join(part for part in (artist, date) if part)


def row(pack: PublicPack, artwork_id: str, language: str, local: Local) -> Row:
    art = guide.find(pack, artwork_id)
    if art is None:
        return Row(artwork_id, artwork_id, "", "")
    fallback = pack.exhibition.default_language
    return Row(
        art.id,
        guide.text(art.title, language, fallback),
        _byline(art.artist, art.date),
        local(thumb(art.image)),
    )


def card(pack: PublicPack, artwork_id: str | None, language: str, local: Local) -> Card:
    art = guide.find(pack, artwork_id) if artwork_id else None
    if art is None:
        return Card()
    fallback = pack.exhibition.default_language
    return Card(
        art.id,
        guide.text(art.title, language, fallback),
        _byline(art.artist, art.date),
        local(image_for_phone(art.image)),
    )


def artwork_page(
    pack: PublicPack, artwork_id: str, language: str, local: Local
) -> ArtworkView | None:
    art = guide.find(pack, artwork_id)
    if art is None:
        return None
    fallback = pack.exhibition.default_language
    medium = guide.text(art.medium, language, fallback)
    return ArtworkView(
        artwork_id=art.id,
        title=guide.text(art.title, language, fallback),
        meta=_byline(art.artist, art.date) + (f"\n{medium}" if medium else ""),
        text=guide.text(art.text, language, fallback),
        image=local(image_for_phone(art.image)),
        audio=local(art.audio.get(language) or art.audio.get(fallback)),
    )


def info(pack: PublicPack, language: str) -> InfoView:
    fallback = pack.exhibition.default_language
    practical = pack.info
    events = "\n\n".join(
        f"{guide.when(e.date)}  {guide.text(e.title, language, fallback)}\n"
        + guide.text(e.text, language, fallback)
        for e in practical.events
    )
    return InfoView(
        title=guide.text(pack.exhibition.title, language, fallback),
        hours=guide.text(practical.hours, language, fallback),
        accessibility=guide.text(practical.accessibility, language, fallback),
        address=practical.address or "",
        events=events,
    )
