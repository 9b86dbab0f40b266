"""The page in Debian's real Chromium (Playwright) against a real hub on 127.0.0.1."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.client.events import new_event_id, utc_now
from tests.web.conftest import PASSWORD, USER
from tests.web.hubthread import HubThread

pytestmark = [pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: a temporary folder, or ``$WEB_SCREENSHOTS_DIR`` (e.g. docs/img)."""
    folder = os.environ.get("WEB_SCREENSHOTS_DIR")
    return Path(folder) if folder else tmp_path


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubThread]:
    with HubThread(tmp_path) as running:
        yield running


@pytest.fixture
def browser_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def log_in(page: Any, hub: HubThread, password: str = PASSWORD) -> None:
    page.goto(f"{hub.url}/admin/login")
    page.fill("#user", USER)
    page.fill("#password", password)
    page.click("form[action='/admin/login'] button[type='submit']")


def pair(page: Any, hub: HubThread, kind: str, name: str) -> tuple[str, str]:
    """Make a code on the page, enroll over the API; returns (device id, token)."""
    page.goto(f"{hub.url}/admin/devices")
    page.select_option("#pair-kind", kind)
    page.fill("#pair-name", name)
    page.click("form[action='/admin/devices/pair'] button[type='submit']")
    code = page.text_content("#pairing-code").strip()
    assert page.locator(".qr svg").count() == 1
    status, body = hub.api("/api/v1/devices/enroll", {"code": code, "kind": kind, "name": name})
    assert status == 201
    return body["device_id"], body["token"]


def visits(n: int) -> list[dict[str, Any]]:
    """Generated visits: n visitors going from the first zone to the second."""
    now = utc_now() - timedelta(minutes=30)
    out = []
    for i in range(n):
        for zone, offset, dwell in (("salle-1", 0, 30 + i), ("salle-2", 60 + i, 200 + 10 * i)):
            start = now + timedelta(seconds=offset + i)
            end = start + timedelta(seconds=dwell)
            out.append({"id": new_event_id(), "type": "visit", "ts": end.isoformat(),
                        "zone": zone, "visitor": f"{i:016x}", "start": start.isoformat(),
                        "end": end.isoformat(), "dwell_s": float(dwell), "samples": 8})
    for i in range(n):
        session = f"{i:08x}"
        out.append({"id": new_event_id(), "type": "interaction", "ts": now.isoformat(),
                    "session": session, "action": "session_start", "language": "fr"})
        out.append({"id": new_event_id(), "type": "interaction", "ts": now.isoformat(),
                    "session": session, "action": "view_artwork", "artwork": "halo",
                    "language": ["fr", "en", "de"][i % 3]})
    return out


def test_technician_journey_in_chromium(hub: HubThread, browser_page: Any, shots: Path) -> None:
    page = browser_page
    # a wrong password is refused
    log_in(page, hub, password="wrong password")
    assert "Wrong user name or password" in page.text_content("#login-error")
    assert "/admin/login" in page.url
    # the right one opens the overview
    log_in(page, hub)
    page.wait_for_url(re.compile(r"/admin/$"))
    assert page.locator("h1").text_content() == "Overview"

    # pair a beacon agent, see it online after its heartbeat, revoke it
    device_id, token = pair(page, hub, "beacon", "Agent salle 1")
    page.goto(f"{hub.url}/admin/devices")
    row = page.locator(f'tr[data-device="{device_id}"]')
    assert row.locator(".status-never").text_content() == "never"
    assert hub.api("/api/v1/devices/heartbeat", {"version": "0.1.0"}, token)[0] == 200
    # the table refreshes itself (htmx, every 5 s): no reload
    row.locator(".status-online").wait_for(timeout=12_000)
    assert row.locator("td").nth(5).text_content() == "0.1.0"
    # events sent with its token show in the charts
    status, body = hub.api("/api/v1/events", {"events": visits(8)}, token)
    assert status == 200 and body["accepted"] == 32
    page.goto(f"{hub.url}/admin/analytics")
    page.wait_for_selector('[data-chart="visitors"][data-drawn]')
    for name in ("visitors", "dwell", "kiosk", "languages"):
        chart = page.locator(f'[data-chart="{name}"]')
        assert int(chart.get_attribute("data-drawn") or "0") > 0, name
        assert chart.locator("canvas").count() == 1, name
    flows = page.locator("#h-flows").locator("xpath=..").text_content() or ""
    assert "salle-1" in flows and "salle-2" in flows  # 8 visitors >= k = 5
    page.screenshot(path=str(shots / "web-analytics.png"), full_page=True)

    page.goto(f"{hub.url}/admin/devices")
    asked: list[str] = []

    def confirm(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.click(f'tr[data-device="{device_id}"] button.danger')
    page.wait_for_selector(f'tr[data-device="{device_id}"] .status-revoked')
    assert asked and "Agent salle 1" in asked[0]
    assert hub.api("/api/v1/devices/heartbeat", {}, token)[0] == 401

    # edit an artwork text: HTML in a title stays text; the published content follows
    page.goto(f"{hub.url}/admin/content/artworks/halo")
    langs = page.locator("fieldset legend span").all_text_contents()
    lang = "en" if "en" in langs else langs[0]  # the guide follows the browser's language
    for each in langs:
        page.fill(f"#title-{each}", "<em>Halo</em> <script>alert(1)</script>")
    page.fill(f"#text-{lang}", "Un nouveau texte pour la salle.")
    page.click("form[action='/admin/content/artworks/halo'] button[type='submit']")
    # the first edit copies the demo bundle into the data folder, checks and republishes it
    page.locator("p.notice").wait_for(timeout=90_000)
    assert "Saved and published" in page.text_content("p.notice")
    page.goto(f"{hub.url}/admin/content")
    cell = page.locator("td", has_text="<em>Halo</em>")
    assert cell.count() == 1
    assert page.locator("main em").count() == 0
    if any(r.canonical.startswith("/guide/artworks") for r in hub.app.router.resources()):
        page.goto(f"{hub.url}/guide/artworks/halo")
        assert "Un nouveau texte pour la salle." in page.content()
        assert "<em>Halo</em>" in page.inner_text("body")
        assert page.locator("em", has_text="Halo").count() == 0
    pack = page.request.get(f"{hub.url}/api/v1/public/pack").json()
    halo = next(a for a in pack["artworks"] if a["id"] == "halo")
    assert halo["text"][lang] == "Un nouveau texte pour la salle."

    # a form posted without the CSRF token is refused
    page.goto(f"{hub.url}/admin/sync")
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    page.fill("#site_name", "Musée test")
    page.click("form[action='/admin/settings'] button[type='submit']")
    assert page.locator("h1").text_content() == "Form refused"

    # log out: the pages need a login again
    page.goto(f"{hub.url}/admin/")
    page.click("form[action='/admin/logout'] button")
    page.goto(f"{hub.url}/admin/devices")
    assert "/admin/login" in page.url


def test_main_pages_have_no_serious_accessibility_violations(
    hub: HubThread, browser_page: Any, shots: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browser_page
    log_in(page, hub)
    page.wait_for_url(re.compile(r"/admin/$"))
    _, token = pair(page, hub, "kiosk", "Kiosque entrée")
    hub.api("/api/v1/devices/heartbeat", {"version": "0.1.0", "content_version": "x"}, token)
    hub.api("/api/v1/events", {"events": visits(6)}, token)
    axe = Axe()
    pages = {"": "overview", "devices": "devices", "content": "content", "zones": "zones",
             "analytics": None, "sync": "sync", "content/artworks/halo": None, "account": None}
    for path, shot in pages.items():
        page.goto(f"{hub.url}/admin/{path}")
        if path == "analytics":
            page.wait_for_selector('[data-chart="visitors"][data-drawn]')
        results = axe.run(page)
        bad = [
            (v["id"], v["impact"], len(v["nodes"]))
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, (path, bad)
        if shot:
            page.screenshot(path=str(shots / f"web-{shot}.png"), full_page=True)
    # a phone-sized screen: nothing wider than the viewport
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{hub.url}/admin/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(shots / "web-overview-phone.png"), full_page=True)


def test_charts_draw_a_replayed_beacon_trace(
    hub: HubThread, browser_page: Any, tmp_path: Path
) -> None:
    """A beacon agent replays a gallery trace (``cimaise beacon --replay``) into the hub."""
    import subprocess
    import sys

    from beacon_agent.simulate import GallerySimulation, SimConfig
    from beacon_agent.trace import write_trace

    trace = tmp_path / "gallery.jsonl"
    write_trace(trace, GallerySimulation(SimConfig(seed=11)).records(1800))
    page = browser_page
    log_in(page, hub)
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(f"{hub.url}/admin/devices")
    page.select_option("#pair-kind", "beacon")
    page.fill("#pair-name", "Agent salle A")
    page.select_option("#pair-zone", "zone-a")
    page.click("form[action='/admin/devices/pair'] button[type='submit']")
    code = (page.text_content("#pairing-code") or "").strip()
    done = subprocess.run(
        [sys.executable, "-m", "cimaise", "beacon", "--hub", hub.url, "--pair", code,
         "--state", str(tmp_path / "agent"), "--replay", str(trace), "--speed", "0"],
        capture_output=True, timeout=180, check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    sent = re.search(rb"done: (\d+) events", done.stdout)
    assert sent and int(sent.group(1)) > 20
    page.goto(f"{hub.url}/admin/analytics")
    page.wait_for_selector('[data-chart="visitors"][data-drawn]')
    for name in ("visitors", "dwell"):
        chart = page.locator(f'[data-chart="{name}"]')
        assert int(chart.get_attribute("data-drawn") or "0") > 0, name
        assert chart.locator("canvas").count() == 1
    rows = page.locator("#h-visitors").locator("xpath=..").locator("details.data tbody tr")
    assert rows.count() >= 1
    assert "zone-a" in (rows.first.text_content() or "")
    page.goto(f"{hub.url}/admin/")
    assert int(page.text_content("#visitors-today") or "0") > 0
