"""What the guide's screens show, read from the public pack: pure functions and state.

The Kivy screens only ask these; tests drive them without a window.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import msgspec

from hub.client.events import Interaction, InteractionAction, new_event_id, utc_now
from hub.client.manifest import Artwork, PublicPack

# Texts by language and accent-blind folding are the kiosk's: the views read them from here.
from kiosk.catalog import fold as fold
from kiosk.catalog import text as text

TEXT_SIZES = (0.85, 1.0, 1.2, 1.45)  # text size steps the visitor picks from


def when(date: str) -> str:
    """An event's ISO date as visitors read it: ``2026-12-05T15:00`` -> ``2026-12-05 15:00``."""
    return date.replace("T", " ")


def search(pack: PublicPack, query: str, language: str) -> list[Artwork]:
    """Artworks whose title, artist, date, medium or theme match every word of ``query``."""
    words = fold(query).split()
    fallback = pack.exhibition.default_language
    out = []
    for artwork in pack.artworks:
        haystack = fold(
            " ".join(
                [
                    text(artwork.title, language, fallback),
                    artwork.artist,
                    artwork.date,
                    text(artwork.medium, language, fallback),
                    *(text(pack.exhibition.themes.get(t, {}), language, t) for t in artwork.themes),
                ]
            )
        )
        if all(word in haystack for word in words):
            out.append(artwork)
    return out


def find(pack: PublicPack, artwork_id: str) -> Artwork | None:
    """A published artwork by id."""
    return next((a for a in pack.artworks if a.id == artwork_id), None)


def beacon_map(pack: PublicPack) -> dict[str, str | None]:
    """Beacon id -> artwork id (None for a zone's beacon), for the ranging core."""
    return {b.id: b.artwork for b in pack.beacons}


class Prefs(msgspec.Struct, kw_only=True):
    """The visitor's choices, kept on the phone only."""

    welcomed: bool = False
    language: str | None = None
    text_size: int = 1  # index in TEXT_SIZES
    share_usage: bool = False  # opt-in; off until the visitor turns it on
    hub_url: str | None = None  # the guide address the visitor entered, if any


def load_prefs(path: Path) -> Prefs:
    try:
        return msgspec.json.decode(path.read_bytes(), type=Prefs)
    except (FileNotFoundError, msgspec.DecodeError, msgspec.ValidationError):
        return Prefs()


def save_prefs(path: Path, prefs: Prefs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(msgspec.json.encode(prefs))
    tmp.replace(path)


@dataclasses.dataclass
class VisitUsage:
    """Anonymous interaction events of one visit, made only once the visitor opted in.

    The session id is random, made when the app starts and kept in memory only, so
    it dies with the visit. Events hold an action and an artwork, never a beacon,
    a signal strength, a place or a time series of where the phone was.

    ``events`` is a small queue waiting to be sent (:mod:`phone.usage` takes batches
    from it); once ``limit`` events wait, new ones are dropped, never stored on disk.
    """

    session: str = dataclasses.field(default_factory=lambda: os.urandom(16).hex())
    events: list[Interaction] = dataclasses.field(default_factory=list)
    limit: int = 100

    def note(
        self,
        opted_in: bool,
        action: InteractionAction,
        *,
        artwork: str | None = None,
        language: str | None = None,
        screen: str | None = None,
    ) -> Interaction | None:
        """Record one action when the visitor opted in; otherwise nothing at all."""
        if not opted_in or len(self.events) >= self.limit:
            return None
        event = Interaction(
            id=new_event_id(),
            ts=utc_now(),
            session=self.session,
            action=action,
            artwork=artwork,
            language=language,
            screen=screen,
        )
        self.events.append(event)
        return event

    def take(self, most: int) -> list[Interaction]:
        """Up to ``most`` of the oldest waiting events, removed from the queue."""
        batch = self.events[:most]
        del self.events[:most]
        return batch

    def forget(self) -> None:
        """Drop what was noted (the visitor turned sharing off)."""
        self.events.clear()
