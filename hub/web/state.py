"""The web page's application state (``app[WEB]``), set up by ``web_ctx``."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import datetime, tzinfo

import jinja2
from aiohttp import web

from cimaise.errors import StoreUnavailableError
from hub.client.events import utc_now
from hub.store import Store
from hub.web.follower import RollupFollower
from hub.web.ratelimit import TokenBucketLimit

log = logging.getLogger(__name__)


@dataclasses.dataclass(slots=True)
class WebState:
    """What the page's handlers share: the store, the login limit, templates, clocks."""

    store: Store
    templates: jinja2.Environment
    limiter: TokenBucketLimit = dataclasses.field(default_factory=TokenBucketLimit)
    tz: tzinfo | None = None  # None: the hub's local time
    clock: Callable[[], datetime] = utc_now
    monotonic: Callable[[], float] = time.monotonic
    #: set when TLS is on in front of the hub: cookies get the Secure flag
    secure_cookies: bool = False
    #: counts committed events into the analytics rollups (set while ``web_ctx`` runs)
    follower: RollupFollower | None = None

    async def analytics_current(self, timeout_s: float = 2.0) -> None:
        """Let the rollups count what is committed before a page shows them.

        Waits at most ``timeout_s`` (a long backlog after a restart): the page then
        shows what is counted so far, the follower goes on in the background.
        """
        if self.follower is None:
            return
        try:
            await asyncio.wait_for(self.follower.catch_up(), timeout_s)
        except (TimeoutError, StoreUnavailableError) as exc:
            log.info("analytics shown before the rollups caught up: %s", exc or "timeout")

    def today(self) -> str:
        return self.clock().astimezone(self.tz).date().isoformat()


WEB = web.AppKey("web", WebState)
