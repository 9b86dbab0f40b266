"""Debian's Chromium driven by Playwright, logged in to a hub's technician page."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]


@contextlib.contextmanager
def technician_page(hub_url: str, user: str, password: str) -> Iterator[Any]:
    """A Playwright page logged in as ``user`` (closed with its browser afterwards)."""
    from playwright.sync_api import sync_playwright

    args = list(ARGS)
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            page.goto(f"{hub_url}/admin/login")
            page.fill("#user", user)
            page.fill("#password", password)
            page.click("form[action='/admin/login'] button[type='submit'], form button")
            page.wait_for_url(lambda url: "/admin/login" not in url)
            yield page
        finally:
            browser.close()
