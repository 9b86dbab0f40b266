"""``POST /api/v1/public/events``: visitors' phones send their opt-in interactions, no token.

Phones never pair, so this route takes no token and trusts nothing: only ``interaction``
events are stored (anything else is refused event by event, with the reason), each
stamped with the device id ``public-guide``, the hub's site and no zone. Bodies are
small (``MAX_BODY_BYTES``), each client address has a token bucket (429 with
``Retry-After`` when it is empty), and an event id stored once is never stored twice.
Validation and storage are those of ``POST /api/v1/events`` (``hub.api.events``).
"""

from __future__ import annotations

from typing import Final

import msgspec
from aiohttp import web

from hub.api.events import Envelope, event_row
from hub.api.limits import enforce_rate, read_limited
from hub.api.problems import ApiProblem
from hub.client.events import Interaction, decode_event
from hub.client.wire import IngestReply, Rejection
from hub.devices.registry import Device
from hub.keys import PUBLIC_LIMIT, SETTINGS, STORE
from hub.store import EventRow

routes = web.RouteTableDef()

PUBLIC_DEVICE_ID: Final = "public-guide"
MAX_BODY_BYTES: Final = 64 * 1024
ONLY_INTERACTIONS: Final = "only `interaction` events are accepted without a device token"

# Who stored events get stamped with: every visitor's phone, no zone (phones move).
PUBLIC_GUIDE: Final = Device(id=PUBLIC_DEVICE_ID, kind="phone", name="Visitors' phones")

_encoder = msgspec.json.Encoder()


def public_batch(
    raw_events: list[msgspec.Raw], site: str
) -> tuple[list[EventRow], list[Rejection]]:
    """Rows of the valid interactions; every other event by index, with the reason."""
    rows: list[EventRow] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raw_events):
        try:
            event = decode_event(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            rejected.append(Rejection(index, str(exc)))
            continue
        if not isinstance(event, Interaction):
            rejected.append(Rejection(index, ONLY_INTERACTIONS))
            continue
        rows.append(event_row(event, PUBLIC_GUIDE, site))
    return rows, rejected


@routes.post("/api/v1/public/events")
async def ingest_public(request: web.Request) -> web.Response:
    """Store visitors' opt-in interactions; answered after they are committed."""
    enforce_rate(request, request.app[PUBLIC_LIMIT], "too_many_requests", "event batches")
    body = await read_limited(
        request, MAX_BODY_BYTES, f"the body is larger than {MAX_BODY_BYTES} bytes: send less"
    )
    try:
        envelope = msgspec.json.decode(body, type=Envelope)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
        raise ApiProblem(
            400, "invalid_body", f'the body must be {{"events": [...]}}: {exc}'
        ) from None
    rows, rejected = public_batch(envelope.events, request.app[SETTINGS].site)
    result = await request.app[STORE].ingest(rows)
    reply = IngestReply(accepted=result.accepted, duplicates=result.duplicates, rejected=rejected)
    return web.Response(body=_encoder.encode(reply), content_type="application/json")
