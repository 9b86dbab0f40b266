"""A real hub (with the page) served on 127.0.0.1 from a thread, for browser tests."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from hub.app import create_app
from hub.keys import CONTENT
from tests.web.conftest import add_user, hub_settings, mount_web, wait_for

T = TypeVar("T")


class HubThread:
    """Start with ``with HubThread(tmp_path) as hub:``; ``hub.url`` is its address."""

    def __init__(self, tmp_path: Path) -> None:
        self.app = mount_web(create_app(hub_settings(tmp_path)))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="web-test-hub", daemon=True)
        self.ready = threading.Event()
        self.url = ""
        self.error: BaseException | None = None
        self._runner: web.AppRunner | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to the test thread
            self.error = exc
            self.ready.set()
            return
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            if self._runner is not None:
                self.loop.run_until_complete(self._runner.cleanup())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        await wait_for(lambda: self.app[CONTENT].current is not None)
        await add_user(self.app)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the hub's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def api(self, path: str, body: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
        """POST JSON to the hub's device API."""
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {token}"} if token else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, None

    def __enter__(self) -> HubThread:
        self.thread.start()
        self.ready.wait(60)
        if self.error is not None:
            self.thread.join(10)
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
