"""The guide's screens: Kivy widgets that show what the app's properties say."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

# Imported for its Factory registration: the artwork page's zoomable image is the kiosk's.
from kiosk.widgets import ZoomView  # noqa: F401


class ArtworkRow(ButtonBehavior, BoxLayout):  # type: ignore[misc]
    """A tappable line: thumbnail, title, artist (browse results, "also close by")."""

    artwork_id = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    thumb = StringProperty("")


class NearCard(ButtonBehavior, BoxLayout):  # type: ignore[misc]
    """The big "near you" card of the nearest artwork."""

    artwork_id = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    image = StringProperty("")


class WelcomeScreen(Screen):  # type: ignore[misc]
    """The first screen: what the guide does, in plain words, and the opt-in."""


class NearScreen(Screen):  # type: ignore[misc]
    """The nearest artwork, and the next closest ones below."""

    def show_others(self, rows: list[dict[str, str]]) -> None:
        box = self.ids.others
        box.clear_widgets()
        app: Any = App.get_running_app()
        for row in rows:
            widget = ArtworkRow(**row)
            widget.bind(on_release=lambda w: app.open_artwork(w.artwork_id, "near"))
            box.add_widget(widget)


class ArtworkPage(Screen):  # type: ignore[misc]
    """One artwork: zoomable image, texts, audio."""


class BrowseScreen(Screen):  # type: ignore[misc]
    """Every artwork, filtered by a search."""

    def search(self, query: str) -> None:
        app: Any = App.get_running_app()
        rows = app.search_rows(query)
        box = self.ids.results
        box.clear_widgets()
        for row in rows:
            widget = ArtworkRow(**row)
            widget.bind(on_release=lambda w: app.open_artwork(w.artwork_id, "browse"))
            box.add_widget(widget)
        self.ids.count.text = app.word("results", app.language).format(n=len(rows))


class InfoScreen(Screen):  # type: ignore[misc]
    """Practical information: hours, accessibility, address, events."""


class SettingsScreen(Screen):  # type: ignore[misc]
    """Language, text size, and the opt-in."""
