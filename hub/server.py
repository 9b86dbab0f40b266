"""Run the hub's web application until interrupted."""

from __future__ import annotations

import logging

from aiohttp import web

from cimaise.settings import Settings
from hub.app import create_app
from hub.sync.worker import setup_sync

log = logging.getLogger(__name__)


def run_hub(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM; in-flight requests finish, then the store closes."""
    app = create_app(settings)
    # The cloud sync worker and the store's chores (retention, disk budget); kept out of
    # create_app so that tests choose their own sync options.
    setup_sync(app)
    url = f"http://{settings.host}:{settings.port}/"
    log.info("hub listening on %s (data in %s)", url, settings.data)
    print(f"Cimaise hub: {url}", flush=True)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=None,
        shutdown_timeout=10.0,
    )

