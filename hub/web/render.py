"""Jinja2 rendering of the technicians' pages (autoescaped: content is always text)."""

from __future__ import annotations

from typing import Any, Final

import jinja2
from aiohttp import web

from hub.web.sessions import Session

NAV: Final = (
    ("overview", "/admin/", "Overview"),
    ("devices", "/admin/devices", "Devices"),
    ("content", "/admin/content", "Content"),
    ("zones", "/admin/zones", "Zones & beacons"),
    ("analytics", "/admin/analytics", "Analytics"),
    ("sync", "/admin/sync", "Sync & settings"),
)

# Content-Security-Policy: only our own scripts and styles run (no inline script).
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def make_environment() -> jinja2.Environment:
    """The template environment; autoescape is on for every template."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hub.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["nav"] = NAV
    env.globals["site_name"] = ""
    return env


def render(
    env: jinja2.Environment,
    template: str,
    *,
    session: Session | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> web.Response:
    """A rendered HTML page (or htmx fragment) with the security headers."""
    body = env.get_template(template).render(
        session=session, csrf=session.csrf if session else "", **context
    )
    response = web.Response(text=body, status=status, content_type="text/html")
    response.headers.update(SECURITY_HEADERS)
    if headers:
        response.headers.update(headers)
    return response
