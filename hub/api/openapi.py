"""The OpenAPI 3.1 document of every ``/api/v1`` route, served at ``/api/v1/openapi.json``.

Schemas come from the wire types themselves (msgspec), so they cannot drift from the
code; a test checks that the paths here are exactly the application's routes.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec
from aiohttp import web

from cimaise import __version__
from hub.client.events import Event
from hub.client.manifest import Manifest, PublicPack
from hub.client.wire import (
    Enrollment,
    EnrollRequest,
    HeartbeatReply,
    HeartbeatRequest,
    IngestReply,
    Problem,
)

routes = web.RouteTableDef()

REF = "#/components/schemas/{name}"


class EventBatch(msgspec.Struct):
    """The body of ``POST /api/v1/events``."""

    events: list[Event]


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(name=name)}}}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(name="Problem")}}},
    }


BEARER: list[dict[str, list[str]]] = [{"deviceToken": []}]
UNPAIRED = _problem("No token, or the token is unknown or revoked (code `pairing_required`).")
ETAG_HEADER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag of the copy the device holds; 304 when it is still current.",
}
NOT_MODIFIED = {"description": "Unchanged since the given ETag."}
NO_CONTENT = _problem("No content published yet (still loading, or the bundle is refused).")


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/devices/enroll": {
            "post": {
                "summary": "Exchange a single-use pairing code for a device id and token",
                "operationId": "enroll",
                "requestBody": {"required": True, "content": _json("EnrollRequest")},
                "responses": {
                    "201": {"description": "Enrolled", "content": _json("Enrollment")},
                    "400": _problem("The body is not a valid enrollment request."),
                    "403": _problem("Unknown or expired code, or a code for another kind."),
                    "409": _problem("The code was already used (code `pairing_code_used`)."),
                    "429": _problem("Too many pairing attempts from this address."),
                },
            }
        },
        "/api/v1/devices/heartbeat": {
            "post": {
                "summary": "Report a device's status; get its zone, content version and key",
                "operationId": "heartbeat",
                "security": BEARER,
                "requestBody": {"required": True, "content": _json("HeartbeatRequest")},
                "responses": {
                    "200": {"description": "Recorded", "content": _json("HeartbeatReply")},
                    "400": _problem("The body is not a valid heartbeat."),
                    "401": UNPAIRED,
                    "503": _problem("The store cannot commit."),
                },
            }
        },
        "/api/v1/devices/screenshot": {
            "post": {
                "summary": "Send a kiosk's latest screenshot",
                "operationId": "uploadScreenshot",
                "security": BEARER,
                "requestBody": {
                    "required": True,
                    "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                },
                "responses": {
                    "204": {"description": "Kept"},
                    "401": UNPAIRED,
                    "413": _problem("The image is larger than the hub accepts."),
                    "415": _problem("The body is not a PNG image."),
                },
            }
        },
        "/api/v1/events": {
            "post": {
                "summary": "Send a batch of events (idempotent by event id)",
                "description": (
                    "Each event is validated alone: valid ones are stored, invalid ones are "
                    "named in `rejected` by index. Device, site and received time are stamped "
                    "by the hub. Answered only after the valid events are committed."
                ),
                "operationId": "ingestEvents",
                "security": BEARER,
                "requestBody": {"required": True, "content": _json("EventBatch")},
                "responses": {
                    "200": {"description": "Stored", "content": _json("IngestReply")},
                    "400": _problem('The body is not `{"events": [...]}`.'),
                    "401": UNPAIRED,
                    "413": _problem("The body is larger than `max_body_bytes`."),
                    "503": _problem("The store cannot commit (disk full, read-only, corrupt)."),
                },
            }
        },
        "/api/v1/public/events": {
            "post": {
                "summary": "Visitors' phones send their opt-in interactions (no token)",
                "description": (
                    "Only `interaction` events are stored; any other event is named in "
                    "`rejected` by index with the reason. Stored with the device id "
                    "`public-guide`, the hub's site and no zone; idempotent by event id. "
                    "Rate-limited per client address."
                ),
                "operationId": "ingestPublicEvents",
                "requestBody": {"required": True, "content": _json("EventBatch")},
                "responses": {
                    "200": {"description": "Stored", "content": _json("IngestReply")},
                    "400": _problem('The body is not `{"events": [...]}`.'),
                    "413": _problem("The body is larger than 64 KiB."),
                    "429": _problem("Too many batches from this address (see `Retry-After`)."),
                    "503": _problem("The store cannot commit."),
                },
            }
        },
        "/api/v1/content/manifest": {
            "get": {
                "summary": "The published content manifest",
                "operationId": "getManifest",
                "security": BEARER,
                "parameters": [ETAG_HEADER],
                "responses": {
                    "200": {"description": "The manifest", "content": _json("Manifest")},
                    "304": NOT_MODIFIED,
                    "401": UNPAIRED,
                    "503": NO_CONTENT,
                },
            }
        },
        "/api/v1/public/pack": {
            "get": {
                "summary": "The public pack for visitors' phones (no token)",
                "operationId": "getPublicPack",
                "parameters": [ETAG_HEADER],
                "responses": {
                    "200": {
                        "description": "Published artworks, texts, beacons and public media",
                        "content": _json("PublicPack"),
                    },
                    "304": NOT_MODIFIED,
                    "503": NO_CONTENT,
                },
            }
        },
        "/api/v1/media/{sha256}": {
            "get": {
                "summary": "A media file by its sha256 (immutable)",
                "description": "Media named by the public pack need no token; others do.",
                "operationId": "getMedia",
                "security": [{}, *BEARER],
                "parameters": [
                    {
                        "name": "sha256",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The file, `Cache-Control: immutable`",
                        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    "304": NOT_MODIFIED,
                    "401": UNPAIRED,
                    "404": _problem("No such media in the published content."),
                    "503": NO_CONTENT,
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "getOpenApi",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    _, components = msgspec.json.schema_components(
        [
            EnrollRequest,
            Enrollment,
            HeartbeatRequest,
            HeartbeatReply,
            EventBatch,
            IngestReply,
            Manifest,
            PublicPack,
            Problem,
        ],
        ref_template=REF,
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cimaise hub device API",
            "version": __version__,
            "description": (
                "How kiosks, beacon agents and visitors' phones talk to a gallery's hub. "
                "Errors are problem documents (RFC 9457) with a stable `code`."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "deviceToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token a device received when it enrolled.",
                }
            },
        },
    }


@functools.cache
def _document_bytes() -> bytes:
    return msgspec.json.encode(openapi_document())


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI document of the device API."""
    return web.Response(body=_document_bytes(), content_type="application/json")
