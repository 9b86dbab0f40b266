"""Content routes: the manifest (device token), media by sha256, the public pack (no token)."""

from __future__ import annotations

import re

from aiohttp import web

from hub.api.auth import require_device
from hub.api.problems import ApiProblem
from hub.content.library import PublishedContent
from hub.keys import CONTENT

routes = web.RouteTableDef()

IMMUTABLE = "max-age=31536000, immutable"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _published(request: web.Request) -> PublishedContent:
    library = request.app[CONTENT]
    content = library.current
    if content is None:
        reason = library.last_error or "the content is still loading"
        raise ApiProblem(
            503, "content_unavailable", f"no content published yet: {reason}", {"Retry-After": "5"}
        )
    return content


def etag_matches(header: str | None, etag: str) -> bool:
    """True when an If-None-Match header names ``etag`` (quoted or not, weak or not) or *."""
    if not header:
        return False
    for part in header.split(","):
        tag = part.strip().removeprefix("W/").strip('"')
        if tag in (etag, "*"):
            return True
    return False


def _document(request: web.Request, body: bytes, etag: str, cache: str) -> web.Response:
    headers = {"ETag": f'"{etag}"', "Cache-Control": cache}
    if etag_matches(request.headers.get("If-None-Match"), etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)


@routes.get("/api/v1/content/manifest")
async def manifest(request: web.Request) -> web.Response:
    """The published manifest for kiosks and agents; 304 when unchanged."""
    require_device(request)
    content = _published(request)
    return _document(request, content.manifest_json, content.etag, "private, no-cache")


@routes.get("/api/v1/public/pack")
async def public_pack(request: web.Request) -> web.Response:
    """What visitors' phones may read (published artworks only); no token; 304 when unchanged."""
    content = _published(request)
    return _document(request, content.public_pack_json, content.public_etag, "public, no-cache")


@routes.get("/api/v1/media/{sha256}")
async def media(request: web.Request) -> web.StreamResponse:
    """A media file by its sha256, cached forever; public media need no token."""
    sha256 = request.match_info["sha256"].lower()
    if not SHA256.match(sha256):
        raise ApiProblem(404, "media_not_found", "media are named by their sha256 (64 hex digits)")
    content = _published(request)
    path = content.media_path(sha256)
    if path is None:
        raise ApiProblem(404, "media_not_found", f"no media {sha256} in the published content")
    public = content.is_public_media(sha256)
    if not public:
        require_device(request)
    ref = content.media_ref(sha256)
    headers = {
        "Cache-Control": ("public, " if public else "private, ") + IMMUTABLE,
        "ETag": f'"{sha256}"',
    }
    if etag_matches(request.headers.get("If-None-Match"), sha256):
        return web.Response(status=304, headers=headers)
    if ref is not None:
        headers["Content-Type"] = ref.mime
    return web.FileResponse(path, headers=headers)
