"""Run the hub's web application until interrupted."""

from __future__ import annotations

import importlib
import importlib.util
import logging

from aiohttp import web

from cimaise.settings import Settings
from hub.app import create_app

log = logging.getLogger(__name__)


def run_hub(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM; in-flight requests finish, then the store closes."""
    app = create_app(settings)
    _start_sync(app)
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


def _start_sync(app: web.Application) -> None:
    """The cloud sync worker and the store's chores (retention, disk budget), when installed.

    Kept out of ``create_app`` so that tests choose their own sync options.
    """
    if importlib.util.find_spec("hub.sync.worker") is None:
        return
    worker = importlib.import_module("hub.sync.worker")
    worker.setup_sync(app)
