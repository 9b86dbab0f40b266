"""The guide in Debian's real Chromium, on a phone-sized screen: accessible, nothing overflows."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from cimaise.settings import Settings
from hub.app import create_app
from hub.keys import CONTENT
from tests.content.bundles import make_small_bundle

pytestmark = [pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}


class HubInThread:
    """The real hub app (guide included) on 127.0.0.1, served from a thread of its own."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="guide-test-hub", daemon=True)
        self.started = threading.Event()
        self.url = ""
        self._stop: asyncio.Event | None = None

    def _run(self) -> None:
        self.loop.run_until_complete(self._serve())
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        runner = web.AppRunner(self.app)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            host, port = runner.addresses[0][:2]
            self.url = f"http://{host}:{port}"
            for _ in range(600):  # the bundle publishes in the background
                if self.app[CONTENT].current is not None:
                    break
                await asyncio.sleep(0.05)
            self.started.set()
            await self._stop.wait()
        finally:
            self.started.set()
            await runner.cleanup()

    def __enter__(self) -> HubInThread:
        self.thread.start()
        assert self.started.wait(60) and self.url, "hub did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(30)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubInThread]:
    settings = Settings(data=tmp_path / "data", content=make_small_bundle(tmp_path / "bundle"),
                        zeroconf=False, port=0)
    with HubInThread(settings) as running:
        assert running.app[CONTENT].current is not None
        yield running


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    args = [*ARGS, "--no-sandbox"] if os.geteuid() == 0 else ARGS
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            context = browser.new_context(viewport=PHONE, locale="de-DE", is_mobile=True)
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def test_guide_pages_are_accessible_on_a_phone(hub: HubInThread, page: Any,
                                               tmp_path: Path) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for path in ("/guide/", "/guide/artworks/aube-sur-la-lagune", "/guide/info",
                 "/guide/artworks/nope"):
        response = page.goto(hub.url + path)
        assert response is not None
        assert page.evaluate("document.documentElement.lang") == "de"  # from the browser
        results = axe.run(page)
        bad = [(v["id"], v["impact"], len(v["nodes"])) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
        assert not bad, (path, bad)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        page.screenshot(path=str(tmp_path / f"{path.strip('/').replace('/', '-')}.png"),
                        full_page=True)


def test_label_link_opens_the_artwork_and_the_switch_changes_language(
    hub: HubInThread, page: Any
) -> None:
    page.goto(hub.url + "/b/t09")
    assert page.url.endswith("/guide/artworks/partition-pour-cercles")
    assert page.text_content("h1") == "Partitur für Kreise"
    image = page.locator("figure img")
    image.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('figure img').naturalWidth > 0")
    page.click("nav.langs a[lang=en]")
    assert page.text_content("h1") == "Score for Circles"
    page.click("a.next")
    assert page.evaluate("document.documentElement.lang") == "en"  # the cookie keeps it
    page.goto(hub.url + "/guide/")
    assert page.evaluate("document.documentElement.lang") == "en"


def test_dark_mode_keeps_contrast(hub: HubInThread, page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.emulate_media(color_scheme="dark")
    for path in ("/guide/", "/guide/artworks/constellation", "/guide/info"):
        page.goto(hub.url + path)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(22, 21, 19)", background  # the dark theme is on
        results = Axe().run(page, options={"runOnly": ["color-contrast"]})
        assert not results.response["violations"], (path, results.response["violations"])
