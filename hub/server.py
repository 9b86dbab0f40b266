"""Run the hub's web application until interrupted."""

from __future__ import annotations

import logging

from aiohttp import web

from cimaise.settings import Settings

log = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(settings: Settings) -> web.Application:
    """The hub's aiohttp application."""
    app = web.Application(client_max_size=settings.max_body_bytes)
    app.router.add_get("/healthz", healthz)
    return app


def run_hub(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM."""
    app = create_app(settings)
    url = f"http://{settings.host}:{settings.port}/"
    log.info("hub listening on %s", url)
    print(f"Cimaise hub: {url}", flush=True)
    web.run_app(app, host=settings.host, port=settings.port, print=None)
