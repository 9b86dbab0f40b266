"""Content: artworks and texts per language; edit a text, replace an image, upload, publish.

Every change is checked before it is written (``hub.web.content_edit``) and then
published by reloading the library; problems are shown next to their field.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from cimaise.errors import ContentError
from hub.content.bundle import artwork_file
from hub.keys import CONTENT, SETTINGS
from hub.web import content_edit
from hub.web.auth import SESSION_KEY, page
from hub.web.content_state import content_summary
from hub.web.render import render
from hub.web.state import WEB

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

LOCALIZED_FIELDS = ("title", "medium", "text", "alt")


def _library(request: web.Request) -> Any:
    library = request.app.get(CONTENT)
    if library is None:
        raise web.HTTPServiceUnavailable(text="no content library")
    return library


async def _editable(request: web.Request) -> Path:
    """The bundle folder to write (copying the packaged demo first); the library follows it."""
    library = _library(request)
    data = request.app[SETTINGS].data
    target = await asyncio.to_thread(content_edit.ensure_editable, library.bundle_dir, data)
    library.bundle_dir = target
    return target


def _field_errors(error: ContentError, file: str | None) -> tuple[dict[str, str], list[str]]:
    """Problems of ``file`` by form field (``title.fr``...), and the others as sentences."""
    fields: dict[str, str] = {}
    other: list[str] = []
    for problem in content_edit.problems_of(error):
        if file is not None and problem.file == file and problem.field.startswith("$."):
            key = problem.field[2:]
            fields[key] = (fields[key] + " " if key in fields else "") + problem.problem
        else:
            other.append(str(problem))
    return fields, other


async def _publish(request: web.Request) -> ContentError | None:
    try:
        await _library(request).reload_async()
    except ContentError as exc:
        return exc
    return None


async def _list_page(
    request: web.Request, *, message: str = "", errors: list[str] | None = None, status: int = 200
) -> web.Response:
    state = request.app[WEB]
    library = _library(request)
    current = library.current
    return render(
        state.templates, "content.html", session=request[SESSION_KEY], active="content",
        title="Content", manifest=current.manifest if current else None,
        summary=content_summary(request.app), message=message, errors=errors or [],
        status=status, bundle_dir=str(library.bundle_dir),
    )


@routes.get("/admin/content")
@page
async def content_page(request: web.Request) -> web.StreamResponse:
    return await _list_page(request)


@routes.post("/admin/content/publish")
@page
async def publish(request: web.Request) -> web.StreamResponse:
    error = await _publish(request)
    if error is not None:
        return await _list_page(request, errors=[str(p) for p in content_edit.problems_of(error)],
                                status=400)
    version = _library(request).current.etag[:10]
    return await _list_page(request, message=f"Published version {version}.")


@routes.post("/admin/content/upload")
@page
async def upload_bundle(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    upload = form.get("bundle")
    if not isinstance(upload, web.FileField):
        return await _list_page(request, errors=["Choose a zip file of a content bundle."],
                                status=400)
    data = upload.file.read()
    library = _library(request)
    settings = request.app[SETTINGS]
    try:
        target = await asyncio.to_thread(
            content_edit.replace_from_zip, library.bundle_dir, settings.data, data
        )
    except ContentError as exc:
        return await _list_page(request, errors=[str(p) for p in content_edit.problems_of(exc)],
                                status=400)
    library.bundle_dir = target
    error = await _publish(request)
    if error is not None:
        return await _list_page(request, errors=[str(p) for p in content_edit.problems_of(error)],
                                status=400)
    return await _list_page(request, message="Bundle uploaded and published.")


def _artwork_form(record: dict[str, Any], languages: list[str]) -> dict[str, str]:
    values: dict[str, str] = {
        "artist": str(record.get("artist", "")),
        "date": str(record.get("date", "")),
        "published": "1" if record.get("published", True) else "",
    }
    for name in LOCALIZED_FIELDS:
        texts = record.get(name) or {}
        for lang in languages:
            values[f"{name}.{lang}"] = str(texts.get(lang, ""))
    return values


async def _artwork_page(
    request: web.Request, artwork_id: str, values: dict[str, str], *,
    errors: dict[str, str] | None = None, other: list[str] | None = None,
    message: str = "", status: int = 200,
) -> web.Response:
    state = request.app[WEB]
    current = _library(request).current
    manifest = current.manifest if current else None
    artwork = current.artwork(artwork_id) if current else None
    languages = manifest.exhibition.languages if manifest else []
    return render(
        state.templates, "artwork.html", session=request[SESSION_KEY], active="content",
        title=f"Edit {artwork_id}", artwork_id=artwork_id, artwork=artwork, v=values,
        languages=languages, fields=LOCALIZED_FIELDS, errors=errors or {}, other=other or [],
        message=message, status=status,
    )


def _artwork_id(request: web.Request) -> str:
    artwork_id = request.match_info["artwork_id"]
    library = _library(request)
    if not (library.bundle_dir / artwork_file(artwork_id)).is_file():
        raise web.HTTPNotFound(text="no such artwork")
    return artwork_id


def _languages(request: web.Request) -> list[str]:
    current = _library(request).current
    return list(current.manifest.exhibition.languages) if current else []


@routes.get("/admin/content/artworks/{artwork_id:[a-z0-9][a-z0-9-]{0,63}}")
@page
async def artwork_page(request: web.Request) -> web.StreamResponse:
    artwork_id = _artwork_id(request)
    library = _library(request)
    record = content_edit.read_artwork_json(library.bundle_dir, artwork_id)
    return await _artwork_page(request, artwork_id, _artwork_form(record, _languages(request)))


@routes.post("/admin/content/artworks/{artwork_id:[a-z0-9][a-z0-9-]{0,63}}")
@page
async def save_artwork(request: web.Request) -> web.StreamResponse:
    artwork_id = _artwork_id(request)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    bundle = await _editable(request)
    record = content_edit.read_artwork_json(bundle, artwork_id)
    languages = _languages(request)
    record["artist"] = form.get("artist", "").strip()
    record["date"] = form.get("date", "").strip()
    record["published"] = bool(form.get("published"))
    for name in LOCALIZED_FIELDS:
        texts = dict(record.get(name) or {})
        for lang in languages:
            text = form.get(f"{name}.{lang}", "").replace("\r\n", "\n").strip()
            if text:
                texts[lang] = text
            else:
                texts.pop(lang, None)
        record[name] = texts
    values = _artwork_form(record, languages)
    try:
        await asyncio.to_thread(content_edit.apply_artwork, bundle, artwork_id, record)
    except ContentError as exc:
        errors, other = _field_errors(exc, artwork_file(artwork_id))
        return await _artwork_page(request, artwork_id, values, errors=errors, other=other,
                                   status=400)
    error = await _publish(request)
    if error is not None:
        errors, other = _field_errors(error, artwork_file(artwork_id))
        return await _artwork_page(request, artwork_id, values, errors=errors, other=other,
                                   status=400)
    log.info("artwork %s edited and published", artwork_id)
    return await _artwork_page(request, artwork_id, values,
                               message="Saved and published: kiosks and the guide update now.")


@routes.post("/admin/content/artworks/{artwork_id:[a-z0-9][a-z0-9-]{0,63}}/image")
@page
async def replace_image(request: web.Request) -> web.StreamResponse:
    artwork_id = _artwork_id(request)
    form = await request.post()
    upload = form.get("image")
    bundle = await _editable(request)
    record = content_edit.read_artwork_json(bundle, artwork_id)
    values = _artwork_form(record, _languages(request))
    if not isinstance(upload, web.FileField):
        return await _artwork_page(request, artwork_id, values,
                                   errors={"image": "Choose an image file."}, status=400)
    try:
        rel = await asyncio.to_thread(
            content_edit.save_image, bundle, artwork_id, upload.file.read(), upload.content_type
        )
        record["image"] = rel
        await asyncio.to_thread(content_edit.apply_artwork, bundle, artwork_id, record)
    except ContentError as exc:
        errors, other = _field_errors(exc, artwork_file(artwork_id))
        return await _artwork_page(request, artwork_id, values, errors=errors, other=other,
                                   status=400)
    error = await _publish(request)
    if error is not None:
        errors, other = _field_errors(error, artwork_file(artwork_id))
        return await _artwork_page(request, artwork_id, values, errors=errors, other=other,
                                   status=400)
    return await _artwork_page(request, artwork_id, values,
                               message="Image replaced and published.")
