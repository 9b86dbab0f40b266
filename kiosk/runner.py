"""Starting the kiosk: Kivy's environment, the app, the hub link, one asyncio loop.

``run_kiosk(options)`` is what ``cimaise kiosk`` calls; tests and the benchmark call it
too (with ``on_ready`` to drive the window), so they exercise the same start-up.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.session import DEFAULT_IDLE_TIMEOUT_S

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.link import KioskLink

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class KioskOptions:
    """Everything ``run_kiosk`` needs, built once from the settings and flags."""

    state: Path
    hub_url: str | None = None
    pair_code: str | None = None
    name: str = dataclasses.field(default_factory=lambda: f"kiosk-{socket.gethostname()}"[:64])
    fullscreen: bool = False
    size: tuple[int, int] = (1280, 800)
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S
    heartbeat_s: float = 30.0
    content_poll_s: float = 60.0
    offline: bool = False  # no hub link at all (benchmarks, screenshots)
    discovery_interfaces: list[str] | None = None
    clock: Callable[[], float] = time.monotonic


def prepare_kivy(options: KioskOptions) -> None:
    """Set Kivy's environment and window before Kivy is imported anywhere."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our flags are not Kivy's
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # log through our handlers
    os.environ.setdefault("KIVY_HOME", str(options.state / "kivy"))
    os.environ.setdefault("SDL_AUDIODRIVER", os.environ.get("SDL_AUDIODRIVER", ""))
    if not os.environ["SDL_AUDIODRIVER"]:
        del os.environ["SDL_AUDIODRIVER"]
    options.state.mkdir(parents=True, exist_ok=True)
    from kivy.config import Config

    width, height = options.size
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if options.fullscreen:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("kivy", "keyboard_mode", "dock")


async def run_kiosk(
    options: KioskOptions,
    on_ready: Callable[[KioskApp, KioskLink | None], None] | None = None,
) -> None:
    """Run the kiosk window (and its hub link) until the window closes."""
    prepare_kivy(options)
    from kiosk.app import KioskApp
    from kiosk.cache import ContentCache
    from kiosk.link import KioskLink

    cache = ContentCache(options.state / "content")
    link: KioskLink | None = None
    app: KioskApp
    if options.offline:
        app = KioskApp(
            cache,
            idle_timeout_s=options.idle_timeout_s,
            clock=options.clock,
            fullscreen=options.fullscreen,
        )
    else:
        holder: list[KioskApp] = []
        link = KioskLink(
            _LateScreen(holder),
            cache,
            state_dir=options.state,
            name=options.name,
            hub_url=options.hub_url,
            pair_code=options.pair_code,
            heartbeat_s=options.heartbeat_s,
            content_poll_s=options.content_poll_s,
            discovery_interfaces=options.discovery_interfaces,
        )
        app = KioskApp(
            cache,
            paired=link.paired,
            idle_timeout_s=options.idle_timeout_s,
            clock=options.clock,
            fullscreen=options.fullscreen,
        )
        holder.append(app)
        app.on_notes = link.record
        app.on_pair = link.pair
    if cache.current() is None:
        log.info("no cached content yet: waiting for the hub's exhibition")
    else:
        log.info("showing cached content %s", cache.current_version())
    if on_ready is not None:
        ready = on_ready
        app.bind(on_start=lambda *args: ready(app, link))
    if link is None:
        await app.async_run(async_lib="asyncio")
        return
    link_task = asyncio.create_task(link.run(), name="cimaise-kiosk-link")
    try:
        await app.async_run(async_lib="asyncio")
    finally:
        link.stop()
        await link_task


class _LateScreen:
    """The app as the link sees it, before the app exists (the two refer to each other)."""

    def __init__(self, holder: list[KioskApp]) -> None:
        self._holder = holder

    def status(self) -> dict[str, object]:
        return self._holder[0].status() if self._holder else {}

    def pairing_needed(self, details: str = "") -> None:
        if self._holder:
            self._holder[0].pairing_needed(details)

    def pairing_result(self, ok: bool, message: str) -> None:
        if self._holder:
            self._holder[0].pairing_result(ok, message)

    def capture_png(self, max_width: int = 640) -> bytes:
        return self._holder[0].capture_png(max_width)
