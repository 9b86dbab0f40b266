"""The kiosk's screens: each fills its widgets from the content, the app decides which shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kivy.animation import Animation
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, DictProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from hub.client.manifest import Artwork, Info, Manifest, MediaRef
from kiosk import catalog
from kiosk.strings import TECHNICIAN, word
from kiosk.widgets import ArtworkCard

# (path of the image, caption) of each slide of the attract loop
Slide = tuple[str, str]
MediaPath = Callable[[MediaRef], Path]
SLIDE_SECONDS = 7.0


class AttractScreen(Screen):  # type: ignore[misc]
    """Full-screen slideshow with the invitation to touch."""

    exhibition_title = StringProperty("")
    exhibition_subtitle = StringProperty("")
    prompt = StringProperty("")
    caption = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.slides: list[Slide] = []
        self._index = 0
        self._event: Any = None

    def set_slides(self, slides: Sequence[Slide]) -> None:
        self.slides = list(slides)
        self._index = 0
        if self.slides:
            self.ids.slide_a.source, self.caption = self.slides[0]
            self.ids.slide_a.opacity, self.ids.slide_b.opacity = 1, 0

    def on_enter(self, *args: Any) -> None:
        self._event = Clock.schedule_interval(lambda dt: self.next_slide(), SLIDE_SECONDS)

    def on_leave(self, *args: Any) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def next_slide(self) -> None:
        """Cross-fade to the next artwork."""
        if len(self.slides) < 2:
            return
        self._index = (self._index + 1) % len(self.slides)
        shown, hidden = self.ids.slide_a, self.ids.slide_b
        if hidden.opacity > shown.opacity:
            shown, hidden = hidden, shown
        hidden.source, self.caption = self.slides[self._index]
        Animation(opacity=1, d=1.2).start(hidden)
        Animation(opacity=0, d=1.2).start(shown)


class HomeScreen(Screen):  # type: ignore[misc]
    """Browse the exhibition: rooms, themes, search results, as cards."""

    query = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_query: Callable[[str], None] = lambda text: None
        self.on_open: Callable[[str], None] = lambda artwork_id: None

    def query_changed(self, text: str) -> None:
        self.query = text
        self.on_query(text)

    def populate(self, manifest: Manifest, language: str, mode: str, media_path: MediaPath) -> None:
        """Rebuild the cards for the mode and language."""
        box = self.ids.sections
        box.clear_widgets()
        fallback = manifest.exhibition.default_language
        if mode == "search":
            found = catalog.search(manifest, self.query, language)
            sections = [catalog.Section("search", "", tuple(found))]
            if self.query.strip() and not found:
                box.add_widget(Factory.SectionTitle(text=word(language, "no_results")))
        elif mode == "themes":
            sections = catalog.by_theme(manifest, language)
        else:
            sections = catalog.by_room(manifest, language)
        for section in sections:
            if not section.artworks:
                continue
            title = section.title or (word(language, "other_rooms") if mode == "rooms" else "")
            if title:
                box.add_widget(Factory.SectionTitle(text=title))
            grid = Factory.CardGrid()
            for artwork in section.artworks:
                grid.add_widget(self._card(artwork, language, fallback, media_path))
            # a short row keeps the card width of a full one
            for _ in range(-len(section.artworks) % grid.cols):
                grid.add_widget(Widget(size_hint_y=None, height=0))
            box.add_widget(grid)
        self.ids.scroll.scroll_y = 1

    def _card(
        self, artwork: Artwork, language: str, fallback: str, media_path: MediaPath
    ) -> ArtworkCard:
        card = ArtworkCard(
            artwork_id=artwork.id,
            title=catalog.text(artwork.title, language, fallback),
            subtitle=f"{artwork.artist}, {artwork.date}",
            thumb=str(media_path(catalog.variant(artwork.image, "thumb"))),
        )
        card.bind(on_release=lambda widget: self.on_open(widget.artwork_id))
        return card


class ArtworkScreen(Screen):  # type: ignore[misc]
    """One artwork: zoomable image, label, text and audio description."""

    artwork_id = StringProperty("")
    title = StringProperty("")
    artist = StringProperty("")
    facts = StringProperty("")
    body = StringProperty("")
    image = StringProperty("")
    zoom_image = StringProperty("")
    has_audio = BooleanProperty(False)
    link = StringProperty("")  # the "take it home" QR's link; '' hides it

    def show(
        self,
        artwork: Artwork,
        language: str,
        fallback: str,
        media_path: MediaPath,
        *,
        new_view: bool = True,
        link: str = "",
    ) -> None:
        """Fill the screen; a new view (not a language change) starts unzoomed."""
        if new_view or artwork.id != self.artwork_id:
            self.ids.zoom.reset()
        self.artwork_id = artwork.id
        self.title = catalog.text(artwork.title, language, fallback)
        self.artist = artwork.artist
        medium = catalog.text(artwork.medium, language, fallback)
        self.facts = " · ".join(part for part in (artwork.date, medium) if part)
        self.body = catalog.text(artwork.text, language, fallback)
        self.image = str(media_path(catalog.variant(artwork.image, "screen")))
        self.zoom_image = str(media_path(catalog.variant(artwork.image, "zoom")))
        self.has_audio = bool(artwork.audio)
        self.link = link


class InfoScreen(Screen):  # type: ignore[misc]
    """Hours, accessibility, address, map and events."""

    hours = StringProperty("")
    access = StringProperty("")
    address = StringProperty("")
    events = StringProperty("")
    map_image = StringProperty("")

    def show(self, info: Info, language: str, fallback: str, media_path: MediaPath) -> None:
        self.hours = catalog.text(info.hours, language, fallback)
        self.access = catalog.text(info.accessibility, language, fallback)
        self.address = info.address or ""
        self.events = "\n".join(
            f"[b]{catalog.event_date(e.date)}[/b]   {catalog.text(e.title, language, fallback)}"
            for e in info.events
        )
        self.map_image = (
            str(media_path(catalog.variant(info.map, "screen"))) if info.map is not None else ""
        )


KEYPAD = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class TechnicianScreen(Screen):  # type: ignore[misc]
    """Pairing: a code typed on an on-screen keypad (a kiosk has no keyboard)."""

    words = DictProperty(TECHNICIAN)
    code = StringProperty("")
    status = StringProperty("")
    details = StringProperty("")
    can_close = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_submit: Callable[[str], None] = lambda code: None
        for key in [*KEYPAD, "-", "⌫"]:
            button = Button(text=key, font_size="22sp", font_name="DejaVuSans")
            button.bind(on_release=lambda b: self.press(b.text))
            self.ids.keypad.add_widget(button)

    def press(self, key: str) -> None:
        if key == "⌫":
            self.code = self.code[:-1]
        elif len(self.code) < 32:
            self.code += key
        self.ids.code.text = self.code

    def submit(self) -> None:
        code = self.code.strip()
        if code:
            self.on_submit(code)
