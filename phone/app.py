"""The Kivy app of the phone guide: binds the pack, the ranging core and the screens.

The pure parts decide (:mod:`phone.ranging`, :mod:`phone.guide`); this adapter copies
their answers onto Kivy properties that the ``.kv`` files bind to, and runs the
background work (pack refresh, bleak scanning or trace replay) as asyncio tasks
of the one event loop Kivy runs in.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.audio import Sound, SoundLoader
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from cimaise.errors import CimaiseError
from hub.client.events import InteractionAction
from hub.client.manifest import PublicPack
from kiosk.widgets import PaletteColors  # the kiosk's palette: one look for both
from phone import guide, pack, strings, views
from phone.beacons import BeaconIndex
from phone.guide import Prefs
from phone.multicast import multicast_lock
from phone.ranging import Nearby, Ranging
from phone.scanner import ScanFeed, TraceClock
from phone.screens import (
    ArtworkPage,
    BrowseScreen,
    InfoScreen,
    NearScreen,
    SettingsScreen,
    WelcomeScreen,
)
from phone.usage import FLUSH_S, send_loop

log = logging.getLogger(__name__)

KV_DIR = Path(__file__).parent / "kv"
KV_FILES = (
    "common.kv",
    "welcome.kv",
    "near.kv",
    "artwork.kv",
    "browse.kv",
    "info.kv",
    "settings.kv",
)
TICK_S = 0.25  # how often the "near you" card asks the ranging core
PREFS_FILE = "prefs.json"


class PhoneApp(PaletteColors, App):  # type: ignore[misc]
    """The guide. ``clock`` gives the ranging core its time in seconds."""

    title = "Cimaise guide"

    language = StringProperty("en")
    font_scale = NumericProperty(1.0)
    screen = StringProperty("welcome")
    exhibition_title = StringProperty("")
    status = StringProperty("")
    share_usage = BooleanProperty(False)

    near_id = StringProperty("")
    near_title = StringProperty("")
    near_subtitle = StringProperty("")
    near_image = StringProperty("")

    art_id = StringProperty("")
    art_title = StringProperty("")
    art_meta = StringProperty("")
    art_text = StringProperty("")
    art_image = StringProperty("")
    art_audio = StringProperty("")
    playing = BooleanProperty(False)

    info_hours = StringProperty("")
    info_access = StringProperty("")
    info_address = StringProperty("")
    info_events = StringProperty("")

    def __init__(
        self,
        state_dir: Path,
        *,
        clock: Callable[[], float],
        hub_url: str | None = None,
        replay: Path | None = None,
        scan: bool = False,
        refresh: bool = True,
        discovery_interfaces: list[str] | None = None,
        discovery_wait_s: float = 8.0,
        site: str | None = None,
        usage_flush_s: float = FLUSH_S,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.state_dir = state_dir
        self.cache = pack.PackCache(state_dir)
        self.clock = clock
        self.hub_url = hub_url
        self.replay_path = replay
        self.scan_enabled = scan
        self.refresh_enabled = refresh
        self.discovery_interfaces = discovery_interfaces
        self.discovery_wait_s = discovery_wait_s
        self.site = site  # zeroconf: only a hub of this site (any when None)
        self.prefs: Prefs = guide.load_prefs(state_dir / PREFS_FILE)
        self.usage = guide.VisitUsage()
        self.usage_flush_s = usage_flush_s
        self.usage_sent = 0  # opt-in events the hub took this visit
        self.hub_base: str | None = None  # the hub the pack last came from
        self.pack: PublicPack | None = None
        self.ranging = Ranging({})
        self.feed = ScanFeed(BeaconIndex([]), self.ranging, clock)
        self.nearby = Nearby(None)
        self.card_changes: list[tuple[float, str | None]] = []  # (time, artwork) per change
        self.refreshed = asyncio.Event()
        self._history: list[str] = []
        self._sound: Sound | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._scanning = False
        self.manager: ScreenManager | None = None

    # building ---------------------------------------------------------------------------
    def build(self) -> ScreenManager:
        for name in KV_FILES:
            Builder.load_file(str(KV_DIR / name))
        self.share_usage = self.prefs.share_usage
        self.font_scale = guide.TEXT_SIZES[self.prefs.text_size % len(guide.TEXT_SIZES)]
        manager = ScreenManager(transition=NoTransition())
        for screen in (
            WelcomeScreen(name="welcome"),
            NearScreen(name="near"),
            ArtworkPage(name="artwork"),
            BrowseScreen(name="browse"),
            InfoScreen(name="info"),
            SettingsScreen(name="settings"),
        ):
            manager.add_widget(screen)
        self.manager = manager
        cached = self.cache.load()
        if cached is not None:
            self.apply_pack(cached)
        else:
            self.status = strings.word(self.language, "no_pack")
        self.show("near" if self.prefs.welcomed else "welcome", remember=False)
        return manager

    def on_start(self) -> None:
        Clock.schedule_interval(lambda dt: self.update_nearby(), TICK_S)
        self.usage.note(self.share_usage, "session_start", language=self.language)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # run() without asyncio (tests drive the app themselves)
        if self.refresh_enabled:
            self._spawn(self._refresh())
        self._spawn(
            send_loop(
                self.usage,
                lambda: self.hub_base,
                lambda: self.share_usage,
                self._stopping,
                every_s=self.usage_flush_s,
                on_sent=self._usage_sent,
            )
        )
        if self.replay_path is not None:
            from phone.scanner import replay

            assert isinstance(self.clock, TraceClock)
            self._spawn(replay(self.feed, self.replay_path, self.clock, self._stopping))
        elif self.prefs.welcomed:
            self._start_scanning()

    def _usage_sent(self, count: int) -> None:
        self.usage_sent += count

    def _start_scanning(self) -> None:
        """Scan with bleak, once: after the first screen has said what it is for.

        On Android this is when the permission prompts appear, so they follow the
        plain explanation instead of covering it.
        """
        if not self.scan_enabled or self._scanning:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        from phone.scanner import scan

        self._scanning = True
        self._spawn(scan(self.feed, self._stopping))

    def on_stop(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        if self._sound is not None:
            self._sound.stop()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.warning("background task ended: %s", task.exception())

    async def _refresh(self, url: str | None = None) -> None:
        """Update the cached pack from the hub; the guide keeps working when none answers.

        The hub is ``url``, else ``--hub``, else the address the visitor entered, else
        the one zeroconf finds on the museum Wi-Fi.
        """
        self.refreshed.clear()
        try:
            given = url or self.hub_url or self.prefs.hub_url
            with multicast_lock():
                base = await pack.find_hub(
                    given,
                    site=self.site,
                    interfaces=self.discovery_interfaces,
                    wait_s=self.discovery_wait_s,
                )
            result = await pack.refresh(self.cache, base)
        except (CimaiseError, OSError, ValueError) as exc:
            log.info("no hub reachable, staying on the cached guide: %s", exc)
            if self.pack is not None:
                self.status = strings.word(self.language, "offline")
            return
        finally:
            self.refreshed.set()
        self.hub_base = base
        if result.changed or self.pack is None or result.media_fetched:
            self.apply_pack(result.pack)
        self.status = ""

    # content ----------------------------------------------------------------------------
    def apply_pack(self, new: PublicPack) -> None:
        """Show a pack: texts, the beacon map for ranging, browse and info."""
        self.pack = new
        ex = new.exhibition
        wanted = self.prefs.language
        self.language = wanted if wanted in ex.languages else ex.default_language
        self.ranging = Ranging(guide.beacon_map(new), self.ranging.config)
        self.feed.index = BeaconIndex(new.beacons)
        self.feed.ranging = self.ranging
        self._fill_languages()
        self._apply_texts()

    def _apply_texts(self) -> None:
        if self.pack is None:
            return
        page = views.info(self.pack, self.language)
        self.exhibition_title = page.title
        self.info_hours = page.hours
        self.info_access = page.accessibility
        self.info_address = page.address
        self.info_events = page.events
        self._set_card(self.nearby, force=True)
        if self.art_id:
            self._fill_artwork(self.art_id)
        if self.manager is not None:
            browse = self.manager.get_screen("browse")
            browse.search(browse.ids.query.text)

    def _fill_languages(self) -> None:
        if self.manager is None or self.pack is None:
            return
        from kivy.factory import Factory

        for screen in ("welcome", "settings"):
            box = self.manager.get_screen(screen).ids.languages
            box.clear_widgets()
            for code in self.pack.exhibition.languages:
                button = Factory.PButton(text=strings.language_name(code))
                button.code = code
                button.selected = code == self.language
                button.bind(on_release=lambda b: self.choose_language(b.code))
                box.add_widget(button)

    def row(self, artwork_id: str) -> dict[str, str]:
        """What an artwork row shows, as the row widget's properties."""
        assert self.pack is not None
        return dataclasses.asdict(views.row(self.pack, artwork_id, self.language, self.cache.local))

    def search_rows(self, query: str) -> list[dict[str, str]]:
        if self.pack is None:
            return []
        return [self.row(a.id) for a in guide.search(self.pack, query, self.language)]

    # the "near you" card ----------------------------------------------------------------
    def update_nearby(self) -> Nearby:
        """Ask the ranging core what is near now, and show it."""
        self._set_card(self.ranging.update(self.clock()))
        return self.nearby

    def _set_card(self, nearby: Nearby, force: bool = False) -> None:
        if nearby == self.nearby and not force:
            return
        changed = nearby.artwork != self.nearby.artwork
        self.nearby = nearby
        if changed:
            self.card_changes.append((self.clock(), nearby.artwork))
            log.debug("near you: %s", nearby.artwork or "nothing")
        if self.pack is None:
            return
        shown = views.card(self.pack, nearby.artwork, self.language, self.cache.local)
        self.near_title = shown.title
        self.near_subtitle = shown.subtitle
        self.near_image = shown.image
        self.near_id = shown.artwork_id
        if self.manager is not None:
            rows = [self.row(a) for a in nearby.others]
            self.manager.get_screen("near").show_others(rows)

    # navigation and actions -------------------------------------------------------------
    def word(self, key: str, language: str | None = None) -> str:
        return strings.word(language or self.language, key)

    def show(self, name: str, remember: bool = True) -> None:
        if self.manager is None:
            return
        if remember and self.screen != name:
            self._history.append(self.screen)
        self.screen = name
        self.manager.current = name
        if name in ("browse", "info"):
            self.note("browse" if name == "browse" else "info", screen=name)

    def go_back(self) -> None:
        self._stop_audio()
        self.show(self._history.pop() if self._history else "near", remember=False)

    def start_visit(self) -> None:
        self.prefs.welcomed = True
        self._save_prefs()
        self.show("near", remember=False)
        self._start_scanning()

    def open_artwork(self, artwork_id: str, origin: str) -> None:
        if not artwork_id or self.pack is None:
            return
        self._stop_audio()
        self._fill_artwork(artwork_id)
        self.note("view_artwork", artwork=artwork_id, screen=origin)
        self.show("artwork")

    def _fill_artwork(self, artwork_id: str) -> None:
        assert self.pack is not None
        page = views.artwork_page(self.pack, artwork_id, self.language, self.cache.local)
        if page is None:
            return
        self.art_id = page.artwork_id
        self.art_title = page.title
        self.art_meta = page.meta
        self.art_text = page.text
        self.art_image = page.image
        self.art_audio = page.audio

    def toggle_audio(self) -> None:
        if self.playing:
            self._stop_audio()
            self.note("audio_pause", artwork=self.art_id)
            return
        if not self.art_audio:
            return
        self._sound = SoundLoader.load(self.art_audio)
        if self._sound is None:
            log.warning("no audio provider could play the description")
            return
        self._sound.bind(on_stop=lambda *a: setattr(self, "playing", False))
        self._sound.play()
        self.playing = True
        self.note("audio_play", artwork=self.art_id)

    def _stop_audio(self) -> None:
        if self._sound is not None:
            self._sound.stop()
            self._sound = None
        self.playing = False

    def choose_language(self, code: str) -> None:
        self.language = code
        self.prefs.language = code
        self._save_prefs()
        self._fill_languages()
        self._apply_texts()
        self.note("language", language=code)

    def connect_hub(self, address: str) -> None:
        """Use the guide address the visitor typed (the entrance QR code's link)."""
        try:
            base = pack.hub_base_url(address.strip())
        except ValueError:
            self.status = strings.word(self.language, "bad_address")
            return
        self.prefs.hub_url = base
        self._save_prefs()
        self.status = strings.word(self.language, "connecting")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._spawn(self._refresh(base))

    def step_text_size(self, step: int) -> None:
        index = max(0, min(len(guide.TEXT_SIZES) - 1, self.prefs.text_size + step))
        self.prefs.text_size = index
        self.font_scale = guide.TEXT_SIZES[index]
        self._save_prefs()
        self.note("accessibility")

    def set_share_usage(self, on: bool) -> None:
        if on == self.prefs.share_usage and on == self.share_usage:
            return
        self.share_usage = on
        self.prefs.share_usage = on
        if not on:
            self.usage.forget()
        self._save_prefs()

    def note(
        self,
        action: InteractionAction,
        *,
        artwork: str | None = None,
        language: str | None = None,
        screen: str | None = None,
    ) -> None:
        """An anonymous usage event, made only if the visitor opted in."""
        self.usage.note(self.share_usage, action, artwork=artwork, language=language, screen=screen)

    def _save_prefs(self) -> None:
        with contextlib.suppress(OSError):
            guide.save_prefs(self.state_dir / PREFS_FILE, self.prefs)
