"""The web page's application state (``app[WEB]``), set up by ``web_ctx``."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import datetime, tzinfo

import jinja2
from aiohttp import web

from hub.client.events import utc_now
from hub.store import Store
from hub.web.ratelimit import TokenBucketLimit


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

    def today(self) -> str:
        return self.clock().astimezone(self.tz).date().isoformat()


WEB = web.AppKey("web", WebState)
