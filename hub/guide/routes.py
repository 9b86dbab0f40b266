"""The mobile guide's routes: ``/guide/``, ``/guide/artworks/{id}``, ``/guide/info``, ``/b/{id}``.

Thin: pick the language, look up the public content, render a template. Pages are
plain HTML with a little inline CSS: no script, no third-party request, no tracking.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from hub.client.manifest import PublicPack
from hub.content.library import PublishedContent
from hub.guide import pages
from hub.guide.language import COOKIE, COOKIE_MAX_AGE_S, choose_language
from hub.guide.render import render
from hub.guide.strings import language_name, strings_for
from hub.keys import CONTENT

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.Response]]

# Shown when rendering itself failed, so it must not depend on templates or content.
FALLBACK_500 = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Something went wrong</title></head><body><main><h1>Something went wrong</h1>"
    '<p>Please try again in a moment. <a href="/guide/">Back to the guide</a></p>'
    "</main></body></html>"
)

SECURITY_HEADERS: Mapping[str, str] = {
    # Everything comes from the hub itself; styles are inline, there is no script at all.
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; "
    "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
    "Vary": "Accept-Language, Cookie",
}


def _language(request: web.Request, pack: PublicPack | None) -> tuple[str, bool]:
    """(language, whether the visitor chose it just now with ?lang=)."""
    if pack is None:
        available, default = ["en", "fr", "de", "es"], "en"
    else:
        available, default = pack.exhibition.languages, pack.exhibition.default_language
    query = request.query.get("lang")
    lang = choose_language(available, default, query=query, cookie=request.cookies.get(COOKIE),
                           accept_language=request.headers.get("Accept-Language"))
    return lang, query is not None and query.lower() == lang


def _page(
    request: web.Request,
    template: str,
    content: PublishedContent | None,
    status: int = 200,
    **context: Any,
) -> web.Response:
    pack = content.public_pack if content is not None else None
    lang, chosen = _language(request, pack)
    default = pack.exhibition.default_language if pack is not None else "en"

    def t(text: Mapping[str, str]) -> str:
        return pages.localize(text, lang, default)

    languages = [(code, language_name(code)) for code in (
        pack.exhibition.languages if pack is not None else [lang])]
    html = render(
        template,
        pack=pack,
        lang=lang,
        s=strings_for(lang),
        t=t,
        languages=languages,
        path=request.path,
        **context,
    )
    response = web.Response(text=html, content_type="text/html", status=status,
                            headers=SECURITY_HEADERS)
    response.headers["Content-Language"] = lang
    if chosen:
        response.set_cookie(COOKIE, lang, max_age=COOKIE_MAX_AGE_S, path="/", samesite="Lax",
                            httponly=True)
    return response


def html_errors(handler: Handler) -> Handler:
    """Answer an unexpected failure with an HTML page (a visitor never sees a bare 500)."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("guide page %s failed", request.path)
            return web.Response(text=FALLBACK_500, content_type="text/html", status=500,
                                headers=SECURITY_HEADERS)

    return wrapper


def _content(request: web.Request) -> PublishedContent | None:
    return request.app[CONTENT].current


def _unavailable(request: web.Request) -> web.Response:
    response = _page(request, "error.html", None, status=503, kind="unavailable")
    response.headers["Retry-After"] = "10"
    return response


def _not_found(request: web.Request, content: PublishedContent) -> web.Response:
    return _page(request, "error.html", content, status=404, kind="not_found")


@routes.get("/guide")
async def guide_redirect(request: web.Request) -> web.Response:
    """``/guide`` -> ``/guide/`` (keeping the query)."""
    query = f"?{request.query_string}" if request.query_string else ""
    raise web.HTTPMovedPermanently(f"{pages.GUIDE}{query}")


@routes.get("/guide/")
@html_errors
async def guide_home(request: web.Request) -> web.Response:
    """The exhibition: its rooms and the published artworks in each."""
    content = _content(request)
    if content is None:
        return _unavailable(request)
    return _page(request, "home.html", content, rooms=pages.rooms(content.public_pack))


@routes.get("/guide/artworks/{id}")
@html_errors
async def guide_artwork(request: web.Request) -> web.Response:
    """One published artwork: image, texts, audio description."""
    content = _content(request)
    if content is None:
        return _unavailable(request)
    pack = content.public_pack
    art = pages.find_artwork(pack, request.match_info["id"])
    if art is None:
        return _not_found(request, content)
    before, after = pages.neighbours(pack, art.id)
    return _page(request, "artwork.html", content, art=art, zone=pages.find_zone(pack, art.zone),
                 before=before, after=after)


@routes.get("/guide/info")
@html_errors
async def guide_info(request: web.Request) -> web.Response:
    """Practical information: hours, accessibility, address, events, map."""
    content = _content(request)
    if content is None:
        return _unavailable(request)
    return _page(request, "info.html", content, info=content.public_pack.info)


@routes.get("/b/{beacon}")
@html_errors
async def beacon_link(request: web.Request) -> web.Response:
    """A beacon's short link (label QR code, NFC tag, Eddystone-URL): 302 to its artwork."""
    content = _content(request)
    if content is None:
        return _unavailable(request)
    beacon = content.beacon(request.match_info["beacon"].strip().lower())
    target = pages.beacon_target(content.public_pack, beacon)
    if target is None:
        return _not_found(request, content)
    lang = request.query.get("lang")
    if lang and lang.lower() in content.public_pack.exhibition.languages:
        path, _, fragment = target.partition("#")
        target = f"{path}?lang={lang.lower()}" + (f"#{fragment}" if fragment else "")
    raise web.HTTPFound(target, headers={"Cache-Control": "no-cache",
                                         "Referrer-Policy": "no-referrer"})
