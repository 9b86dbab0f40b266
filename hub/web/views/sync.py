"""Sync and settings: the cloud sync's state and "try now"; the settings the page edits."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.keys import SETTINGS
from hub.web import site_settings
from hub.web.auth import SESSION_KEY, page
from hub.web.render import render
from hub.web.settings_form import parse_settings_form
from hub.web.state import WEB
from hub.web.sync_state import sync_summary, trigger_sync

routes = web.RouteTableDef()


def _form_values(app: web.Application, stored: dict[str, Any]) -> dict[str, Any]:
    settings = app[SETTINGS]
    return {
        "site_name": stored.get("site_name", ""),
        "cloud_url": stored.get("cloud_url", settings.cloud_url or ""),
        "secret_set": bool(stored.get("cloud_secret") or settings.cloud_secret),
        "privacy_mode": stored.get("privacy_mode", settings.privacy_mode),
        "k_anonymity": stored.get("k_anonymity", settings.k_anonymity),
        "event_retention_days": stored.get("event_retention_days", settings.event_retention_days),
        "pseudonym_retention_hours": stored.get(
            "pseudonym_retention_hours", settings.pseudonym_retention_hours
        ),
    }


async def _page(
    request: web.Request, *, message: str = "", errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None, status: int = 200,
) -> web.Response:
    state = request.app[WEB]
    with state.store.read() as conn:
        stored = site_settings.read_all(conn)
    return render(
        state.templates, "sync.html", session=request[SESSION_KEY], active="sync",
        title="Sync & settings", sync=sync_summary(request.app), message=message,
        errors=errors or {}, v=values or _form_values(request.app, stored), status=status,
    )


@routes.get("/admin/sync")
@page
async def sync_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@routes.post("/admin/sync/now")
@page
async def sync_now(request: web.Request) -> web.StreamResponse:
    started = trigger_sync(request.app)
    message = "Sync started." if started else "Sync is off: set a cloud URL first."
    return await _page(request, message=message)


@routes.post("/admin/settings")
@page
async def save_settings(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB]
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    values, errors = parse_settings_form(form)
    if errors:
        shown = dict(values)
        shown["secret_set"] = False
        for key in ("k_anonymity", "event_retention_days", "pseudonym_retention_hours"):
            shown.setdefault(key, form.get(key, ""))
        shown["site_name"] = form.get("site_name", "")
        shown["cloud_url"] = form.get("cloud_url", "")
        return await _page(request, errors=errors, values=shown, status=400)
    await state.store.run_write(lambda c: site_settings.write(c, values, state.clock()))
    state.templates.globals["site_name"] = values.get("site_name") or ""
    return await _page(
        request,
        message="Settings saved. The site name shows at once; sync, privacy and retention "
        "settings take effect when the hub restarts.",
    )
