"""Starting the kiosk: Kivy's environment, the app, the hub link, one asyncio loop.

``run_kiosk(options)`` is what ``cimaise kiosk`` calls; tests and the benchmark call it
too (with ``on_ready`` to drive the window), so they exercise the same start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.session import DEFAULT_IDLE_TIMEOUT_S

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.cache import ContentCache

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
    # Kivy sets its logger's level from its own config: keep it quiet unless debugging.
    debugging = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    kivy_level = logging.DEBUG if debugging else logging.WARNING
    logging.getLogger("kivy").setLevel(kivy_level)
    from kivy.config import Config

    Config.set("kivy", "log_level", "debug" if debugging else "warning")
    logging.getLogger("kivy").setLevel(kivy_level)
    width, height = options.size
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if options.fullscreen:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("kivy", "keyboard_mode", "dock")


LINK_AFTER_START_S = 0.3  # the hub link (aiohttp) is imported after the first frames


async def run_kiosk(
    options: KioskOptions,
    on_ready: Callable[[KioskApp], None] | None = None,
) -> None:
    """Run the kiosk window (and its hub link) until the window closes.

    The window comes first: the link to the hub, and the HTTP client it imports, start
    once the first frames are on screen. Interactions noted before are kept for it.
    """
    prepare_kivy(options)
    from hub.client.credentials import load_credentials
    from kiosk.app import KioskApp
    from kiosk.cache import ContentCache

    cache = ContentCache(options.state / "content")
    credentials = load_credentials(options.state)
    paired = options.offline or bool(options.pair_code) or (credentials is not None)
    app = KioskApp(
        cache,
        paired=paired,
        idle_timeout_s=options.idle_timeout_s,
        clock=options.clock,
        fullscreen=options.fullscreen,
        hub_url=options.hub_url or (credentials.hub_url if credentials else None),
    )
    if cache.current() is None:
        log.info("no cached content yet: waiting for the hub's exhibition")
    else:
        log.info("showing cached content %s", cache.current_version())
    started = asyncio.Event()
    stopped = asyncio.Event()

    def on_start(*args: object) -> None:
        from kivy.clock import Clock

        Clock.schedule_once(lambda dt: started.set(), LINK_AFTER_START_S)
        if on_ready is not None:
            on_ready(app)

    app.bind(on_start=on_start)
    _stop_on_signals(app)
    if options.offline:
        await app.async_run(async_lib="asyncio")
        return
    link_task = asyncio.create_task(
        _run_link(options, app, cache, started, stopped), name="cimaise-kiosk-link"
    )
    try:
        await app.async_run(async_lib="asyncio")
    finally:
        stopped.set()
        await link_task


def _stop_on_signals(app: KioskApp) -> None:
    """SIGTERM (systemd stopping the unit) and SIGINT close the window cleanly."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(signum, app.stop)


async def _run_link(
    options: KioskOptions,
    app: KioskApp,
    cache: ContentCache,
    started: asyncio.Event,
    stopped: asyncio.Event,
) -> None:
    """Start the hub link once the window is up; stop it when the window closes."""
    waiters = [asyncio.ensure_future(started.wait()), asyncio.ensure_future(stopped.wait())]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    if stopped.is_set():
        return
    from kiosk.link import KioskLink

    link = KioskLink(
        app,
        cache,
        state_dir=options.state,
        name=options.name,
        hub_url=options.hub_url,
        pair_code=options.pair_code,
        heartbeat_s=options.heartbeat_s,
        content_poll_s=options.content_poll_s,
        discovery_interfaces=options.discovery_interfaces,
    )
    app.attach_link(link)
    task = asyncio.create_task(link.run(), name="cimaise-kiosk-hub-link")
    await stopped.wait()
    link.stop()
    await task
