"""The Kivy app: binds the session core to the screens, the clock and the device side.

Visitor actions go to the ``Session`` (the pure core); after each, ``_apply`` copies
its state onto the app's Kivy properties, which the ``.kv`` files bind to. The notes a
transition produces go to the hub link (``attach_link``), which puts them in the outbox.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import FadeTransition, ScreenManager

from hub.client.manifest import Manifest, MediaRef
from kiosk import catalog
from kiosk.audio import AudioPlayer
from kiosk.cache import ContentCache
from kiosk.remote_view import window_png
from kiosk.screens import (
    ArtworkScreen,
    AttractScreen,
    HomeScreen,
    InfoScreen,
    TechnicianScreen,
)
from kiosk.session import DEFAULT_IDLE_TIMEOUT_S, Note, Session
from kiosk.strings import word
from kiosk.theme import CALM, HIGH_CONTRAST, LARGE_TEXT_SCALE
from kiosk.widgets import PaletteColors

log = logging.getLogger(__name__)


class HubLink(Protocol):
    """The hub link as the app uses it (``kiosk.link.KioskLink``)."""

    def record(self, notes: Sequence[Note]) -> None: ...

    def pair(self, code: str) -> None: ...


KV_DIR = Path(__file__).parent / "kv"
KV_FILES = ("common.kv", "attract.kv", "home.kv", "artwork.kv", "info.kv", "technician.kv")
CORNER_DP = 48  # the hidden gesture: a long press in the top-left corner...
CORNER_HOLD_S = 3.0  # ...held this long opens the technician screen
TICK_S = 0.5
CACHE_CHECK_S = 30.0  # how often, between visitors, the content on disk is checked


class KioskRoot(FloatLayout):  # type: ignore[misc]
    """The window's root: sees every touch first (session activity, hidden gesture)."""

    def __init__(self, app: KioskApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app
        self._hold: Any = None

    def on_touch_down(self, touch: Any) -> bool:
        if touch.x < dp(CORNER_DP) and touch.y > self.top - dp(CORNER_DP):
            self._hold = Clock.schedule_once(lambda dt: self.app.open_technician(), CORNER_HOLD_S)
        warned = self.app.idle_left >= 0
        if self.app.visitor_touch() or warned:
            # the touch that wakes the attract loop, or answers "still there?", does
            # nothing else (it must not press a button under the finger)
            return True
        return bool(super().on_touch_down(touch))

    def on_touch_up(self, touch: Any) -> bool:
        if self._hold is not None:
            self._hold.cancel()
            self._hold = None
        return bool(super().on_touch_up(touch))


class KioskApp(PaletteColors, App):  # type: ignore[misc]
    """The kiosk window: attract loop, home, artwork, info and the technician screen."""

    title = "Cimaise kiosk"
    language = StringProperty("en")
    screen = StringProperty("attract")
    browse_mode = StringProperty("rooms")
    large_text = BooleanProperty(False)
    high_contrast = BooleanProperty(False)
    audio_playing = BooleanProperty(False)
    idle_left = NumericProperty(-1)  # seconds before an idle session ends; -1: no warning
    exhibition_title = StringProperty("")
    font_scale = NumericProperty(1.0)
    hub_url = StringProperty("")  # the hub's base URL, for the artwork's "take it home" QR

    def __init__(
        self,
        cache: ContentCache,
        *,
        paired: bool = True,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
        fullscreen: bool = False,
        hub_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hub_url = hub_url or ""
        self.cache = cache
        self.clock = clock
        self.fullscreen = fullscreen
        self.manifest: Manifest | None = cache.current()
        languages, default = self._languages()
        self.session = Session(languages, default, idle_timeout_s=idle_timeout_s, paired=paired)
        self.link: HubLink | None = None
        # observers of every note (the test harness); the link gets them too
        self.note_listeners: list[Callable[[list[Note]], None]] = []
        self._early_notes: list[Note] = []
        self._early_code: str | None = None
        self._info: InfoScreen | None = None
        self._technician: TechnicianScreen | None = None
        self.audio = AudioPlayer(on_finished=self._audio_finished)
        self._shown: tuple[object, ...] = ()
        self._search_event: Any = None
        self._checked_cache_at = clock()
        self._ticker: Any = None
        self._stopped = False

    def attach_link(self, link: HubLink) -> None:
        """Connect the hub link: notes go to its outbox, codes typed on screen to it.

        Notes made before (the window starts first) and a code typed meanwhile follow.
        """
        self.link = link
        early, self._early_notes = self._early_notes, []
        if early:
            link.record(early)
        if self._early_code is not None:
            link.pair(self._early_code)
            self._early_code = None

    def submit_code(self, code: str) -> None:
        """A technician typed a pairing code."""
        if self.link is not None:
            self.link.pair(code)
        else:
            self._early_code = code

    # --- building ----------------------------------------------------------------------

    def build(self) -> KioskRoot:
        for name in KV_FILES:
            Builder.load_file(str(KV_DIR / name))
        if self.fullscreen:
            Window.fullscreen = "auto"
            Window.show_cursor = False
        self.sm = ScreenManager(transition=FadeTransition(duration=0.2))
        self.attract = AttractScreen(name="attract")
        self.home = HomeScreen(name="home")
        self.artwork_screen = ArtworkScreen(name="artwork")
        for screen in (self.attract, self.home, self.artwork_screen):
            self.sm.add_widget(screen)
        self.home.on_open = self.open_artwork
        self.home.on_query = self._query_changed
        root = KioskRoot(self)
        root.add_widget(self.sm)
        root.add_widget(Factory.IdleBanner())
        self._load_content()
        self.sm.transition.duration = 0
        self._apply()
        self.sm.transition.duration = 0.2
        self._ticker = Clock.schedule_interval(lambda dt: self.tick(), TICK_S)
        self.tick()
        return root

    def _languages(self) -> tuple[list[str], str]:
        if self.manifest is None:
            return ["en"], "en"
        exhibition = self.manifest.exhibition
        return catalog.ordered_languages(
            exhibition.languages or [exhibition.default_language], exhibition.default_language
        ), exhibition.default_language

    @staticmethod
    def word(key: str, language: str) -> str:
        """One of the kiosk's own words; kv rules pass ``app.language`` to rebind on change."""
        return word(language, key)

    def media_path(self, ref: MediaRef) -> Path:
        return self.cache.media_path(ref)

    def _fill_language_bar(self, screen: Any) -> None:
        bar = screen.ids.top.ids.languages
        bar.clear_widgets()
        languages = self.session.languages
        if len(languages) > 1:
            for code in languages:
                button = Factory.LanguageButton(text=code.upper())
                button.code = code  # a kv-declared property: set after creation
                bar.add_widget(button)

    # The info and technician screens are built when first shown: a quicker start.
    @property
    def info(self) -> InfoScreen:
        if self._info is None:
            self._info = InfoScreen(name="info")
            self._fill_language_bar(self._info)
            self.sm.add_widget(self._info)
        return self._info

    @property
    def technician(self) -> TechnicianScreen:
        if self._technician is None:
            self._technician = TechnicianScreen(name="technician")
            self._technician.on_submit = self.submit_code
            self.sm.add_widget(self._technician)
        return self._technician

    def _load_content(self) -> None:
        """Show the current manifest: languages, attract slides, cards."""
        languages, default = self._languages()
        self.session.set_languages(languages, default)
        manifest = self.manifest
        screens = [self.home, self.artwork_screen]
        if self._info is not None:
            screens.append(self._info)
        for screen in screens:
            self._fill_language_bar(screen)
        if manifest is None:  # first start, content on its way: a calm welcome, no error
            self.attract.exhibition_title = "Welcome · Bienvenue · Willkommen"
            self.attract.exhibition_subtitle = ""
            self.attract.set_slides([])
            return
        slides = [
            (
                str(self.media_path(catalog.variant(a.image, "screen"))),
                f"{catalog.text(a.title, default)} — {a.artist}",
            )
            for a in catalog.visible(manifest)
        ]
        self.attract.set_slides(slides)
        self._shown = ()

    # --- the clock ---------------------------------------------------------------------

    def tick(self) -> None:
        """Every half second: the idle timeout, the attract prompt, staged content."""
        if self._stopped:
            return
        now = self.clock()
        self._emit(self.session.tick(now))
        left = self.session.idle_warning(now)
        self.idle_left = -1 if left is None else math.ceil(left)
        if self.session.screen == "attract":
            self.promote_content()
            lang = self.session.attract_language(now)
            # with nothing to show yet (first start), no invitation either
            self.attract.prompt = word(lang, "touch") if self.manifest is not None else ""
            if self.manifest is not None:
                self.attract.exhibition_title = catalog.text(
                    self.manifest.exhibition.title, lang, self.manifest.exhibition.default_language
                )
                self.attract.exhibition_subtitle = catalog.text(
                    self.manifest.exhibition.subtitle,
                    lang,
                    self.manifest.exhibition.default_language,
                )
        self._apply()

    def promote_content(self) -> bool:
        """Between visitors only: swap in a staged content version."""
        if self.session.in_session:
            return False
        content = self.cache.promote()
        now = self.clock()
        if content is None and now - self._checked_cache_at >= CACHE_CHECK_S:
            # no new version, but the one on disk may differ from the one shown: a file
            # was lost (the previous version shows), or downloaded again (back to current)
            self._checked_cache_at = now
            content = self.cache.current()
            if content is None or (self.manifest and content.version == self.manifest.version):
                return False
        if content is None:
            return False
        self.manifest = content
        self._load_content()
        return True

    # --- the visitor -------------------------------------------------------------------

    def visitor_touch(self) -> bool:
        """Any touch: True when it woke the attract loop (and must do nothing else)."""
        if self.session.screen == "technician" or self.manifest is None:
            return False
        was_attract = self.session.screen == "attract"
        self._emit(self.session.touch(self.clock()))
        self.idle_left = -1
        self._apply()
        return was_attract

    def open_artwork(self, artwork_id: str) -> None:
        self._emit(self.session.open_artwork(artwork_id, self.clock()))
        self._apply()

    def open_info(self) -> None:
        self._emit(self.session.open_info(self.clock()))
        self._apply()

    def go_back(self) -> None:
        self._emit(self.session.back(self.clock()))
        self._apply()

    def browse(self, mode: str) -> None:
        if mode in ("rooms", "themes", "search"):
            self._emit(self.session.browse(mode, self.clock()))  # type: ignore[arg-type]
            self._apply()

    def choose_language(self, code: str) -> None:
        self._emit(self.session.set_language(code, self.clock()))
        self._apply()

    def toggle_large_text(self) -> None:
        now = self.clock()
        self._emit(self.session.set_accessibility(now, large_text=not self.session.large_text))
        self._apply()

    def toggle_contrast(self) -> None:
        now = self.clock()
        self._emit(
            self.session.set_accessibility(now, high_contrast=not self.session.high_contrast)
        )
        self._apply()

    def zoomed(self) -> None:
        self._emit(self.session.zoom(self.clock()))

    def toggle_audio(self) -> None:
        self._emit(self.session.audio(not self.session.audio_playing, self.clock()))
        self._apply()

    def _query_changed(self, text: str) -> None:
        self.session.touch(self.clock())
        if self._search_event is not None:
            self._search_event.cancel()
        self._search_event = Clock.schedule_once(lambda dt: self._run_search(), 0.4)

    def _run_search(self) -> None:
        self._search_event = None
        if self.home.query.strip():
            self._emit(self.session.search(self.clock()))
        self._shown = ()
        self._apply()

    # --- the technician ----------------------------------------------------------------

    def open_technician(self) -> None:
        self._emit(self.session.open_technician())
        self._apply()

    def close_technician(self) -> None:
        self.session.close_technician()
        self._apply()

    def pairing_needed(self, details: str = "") -> None:
        """The hub refused the token: back to the technician screen, quietly."""
        self._emit(self.session.need_pairing())
        self.technician.details = details
        self._apply()

    def hub_found(self, url: str) -> None:
        """The link reached its hub at ``url``: the artwork's QR points there from now on."""
        if url == self.hub_url:
            return
        self.hub_url = url
        artwork = self.session.artwork
        if self.manifest is not None and artwork and self.artwork_screen.artwork_id == artwork:
            self.artwork_screen.link = catalog.artwork_link(self.manifest, artwork, url)

    def pairing_result(self, ok: bool, message: str) -> None:
        self.technician.status = message
        if ok:
            self.technician.code = ""
            self.technician.ids.code.text = ""
            self.session.set_paired()
        self._apply()

    # --- state onto widgets ------------------------------------------------------------

    def _emit(self, notes: list[Note]) -> None:
        if not notes:
            return
        for listener in self.note_listeners:
            listener(notes)
        if self.link is not None:
            self.link.record(notes)
        else:
            self._early_notes.extend(notes)

    def _apply(self) -> None:
        """Copy the session's state onto the app's properties and the visible screen."""
        if self._stopped:
            return
        s = self.session
        palette = HIGH_CONTRAST if s.high_contrast else CALM
        for key, value in palette.items():
            setattr(self, key, value)
        self.font_scale = LARGE_TEXT_SCALE if s.large_text else 1.0
        self.language = s.language
        self.browse_mode = s.browse_mode
        self.large_text, self.high_contrast = s.large_text, s.high_contrast
        if s.screen == "technician" or self._technician is not None:
            self.technician.can_close = s.paired and s.screen == "technician"
        if self.manifest is not None:
            exhibition = self.manifest.exhibition
            self.exhibition_title = catalog.text(
                exhibition.title, s.language, exhibition.default_language
            )
            self._refresh_screen()
        self._apply_audio()
        self.audio_playing = s.audio_playing
        if self.sm.current != s.screen:
            self.sm.current = s.screen
        self.screen = s.screen

    def _refresh_screen(self) -> None:
        """Fill the screen about to show, only when what it shows changed."""
        s, manifest = self.session, self.manifest
        assert manifest is not None
        fallback = manifest.exhibition.default_language
        key: tuple[object, ...] = (s.screen, s.language, s.artwork, s.browse_mode, manifest.version)
        if key == self._shown:
            return
        if s.screen == "home":
            self.home.populate(manifest, s.language, s.browse_mode, self.media_path)
        elif s.screen == "artwork" and s.artwork:
            artwork = catalog.find(manifest, s.artwork)
            if artwork is not None:
                same_view = self._shown[:1] == ("artwork",) and self._shown[2] == s.artwork
                self.artwork_screen.show(
                    artwork,
                    s.language,
                    fallback,
                    self.media_path,
                    new_view=not same_view,
                    link=catalog.artwork_link(manifest, artwork.id, self.hub_url),
                )
        elif s.screen == "info":
            self.info.show(manifest.info, s.language, fallback, self.media_path)
        self._shown = key

    def _apply_audio(self) -> None:
        s = self.session
        if s.screen != "artwork":
            self.audio.stop()
            return
        if not s.audio_playing:
            self.audio.pause()
            return
        assert self.manifest is not None and s.artwork is not None
        artwork = catalog.find(self.manifest, s.artwork)
        ref = None if artwork is None else catalog.audio_for(artwork, s.language)
        if ref is None:
            s.audio_finished()
            return
        # with no sound output the button still answers: the visitor sees no error
        self.audio.play(self.media_path(ref), ref.sha256)

    def _audio_finished(self) -> None:
        """The description reached its end: the button shows Listen again."""
        self.session.audio_finished()
        self.audio_playing = False

    def status(self) -> dict[str, object]:
        """What the heartbeat reports of the screen (nothing about the visitor)."""
        return {
            "screen": self.session.screen,
            "in_session": self.session.in_session,
            "content": self.manifest.version if self.manifest else None,
        }

    # --- remote view -------------------------------------------------------------------

    def capture_png(self, max_width: int = 640) -> bytes:
        """The window as a small PNG, for the technician's remote view."""
        return window_png(max_width)

    def on_stop(self) -> None:
        """The window closes: no more updates (kv rules cannot run once the app is gone).

        A session in progress gets no ``session_end``: the kiosk is going away, not the
        visitor, and its last event already says when the session was last active.
        """
        self._stopped = True
        if self._ticker is not None:
            self._ticker.cancel()
        self.audio.stop()
