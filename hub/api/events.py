"""``POST /api/v1/events``: validate each event, stamp it from the token, store it durably."""

from __future__ import annotations

import msgspec
from aiohttp import web

from hub.api.auth import require_device
from hub.api.batch_patterns import (
    CHECKED_EVENT,
    CHECKED_INTERACTION,
    CHECKED_OCCUPANCY,
    CHECKED_VISIT,
    patterns_hold,
)
from hub.api.problems import ApiProblem
from hub.client.events import Event, Interaction, Occupancy, Visit, decode_event, encode_event
from hub.client.wire import IngestReply, Rejection
from hub.devices.registry import Device
from hub.keys import METRICS, SETTINGS, STORE
from hub.store import EventRow, rfc3339

routes = web.RouteTableDef()


class Envelope(msgspec.Struct, frozen=True):
    """The request body; each event stays raw so it is validated (and refused) alone."""

    events: list[msgspec.Raw]


class _TypedEnvelope(msgspec.Struct, frozen=True):
    """The request body decoded in one pass: the fast path when every event is valid.

    Its events are the twins of ``hub.api.batch_patterns``: patterns checked per batch.
    """

    events: list[CHECKED_EVENT]


_envelope = msgspec.json.Decoder(Envelope)
_typed_envelope = msgspec.json.Decoder(_TypedEnvelope)
_encoder = msgspec.json.Encoder()


def event_row(event: Event, device: Device, site: str) -> EventRow:
    """The stored row of an event, stamped with the device, the site and the zone."""
    if isinstance(event, Interaction):
        zone, visitor, kind = device.zone, None, "interaction"
    elif isinstance(event, Visit):
        zone, visitor, kind = event.zone, event.visitor, "visit"
    else:
        zone, visitor, kind = event.zone, None, "occupancy"
    return EventRow(
        id=event.id,
        type=kind,
        ts=rfc3339(event.ts),
        device_id=device.id,
        site=site,
        zone=zone,
        visitor=visitor,
        body=encode_event(event),
    )


def validate_batch(
    raw_events: list[msgspec.Raw], device: Device, site: str
) -> tuple[list[EventRow], list[Rejection]]:
    """Rows of the valid events, and the invalid ones by index with the reason."""
    rows: list[EventRow] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raw_events):
        try:
            event = decode_event(raw)  # msgspec.Raw is a buffer
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            rejected.append(Rejection(index, str(exc)))
            continue
        rows.append(event_row(event, device, site))
    return rows, rejected


def _rows_if_all_valid(body: bytes, device: Device, site: str) -> list[EventRow] | None:
    """The rows of a body whose events are all valid, decoded in one pass; else None.

    The same checks as ``decode_event`` event by event (the schema, its patterns once
    per batch, then ``end`` not before ``start``); a body with any invalid event takes
    the event-by-event path, which names each one.
    """
    try:
        events: list[Event] = _typed_envelope.decode(body).events
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return None
    if not patterns_hold(events):
        return None
    rows: list[EventRow] = []
    append = rows.append
    encode = _encoder.encode
    device_id, device_zone = device.id, device.zone
    for event in events:
        kind = type(event)
        if kind is CHECKED_INTERACTION:
            zone, visitor, tag = device_zone, None, "interaction"
        elif kind is CHECKED_VISIT:
            assert isinstance(event, Visit)
            if event.end < event.start:
                return None
            zone, visitor, tag = event.zone, event.visitor, "visit"
        else:
            assert kind is CHECKED_OCCUPANCY and isinstance(event, Occupancy)
            if event.end < event.start:
                return None
            zone, visitor, tag = event.zone, None, "occupancy"
        append(
            EventRow(
                id=event.id,
                type=tag,
                ts=rfc3339(event.ts),
                device_id=device_id,
                site=site,
                zone=zone,
                visitor=visitor,
                body=encode(event),
            )
        )
    return rows


@routes.post("/api/v1/events")
async def ingest(request: web.Request) -> web.Response:
    """Store a batch of events; answered only after the valid ones are committed."""
    metrics = request.app[METRICS]
    device = require_device(request)
    limit = request.app[SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        metrics.ingest_requests.labels("413").inc()
        raise ApiProblem(
            413, "body_too_large", f"the body is larger than {limit} bytes: send smaller batches"
        )
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        metrics.ingest_requests.labels("413").inc()
        raise
    site = request.app[SETTINGS].site
    rejected: list[Rejection] = []
    rows_or_none = _rows_if_all_valid(body, device, site)
    if rows_or_none is not None:
        rows, count = rows_or_none, len(rows_or_none)
    else:
        try:
            envelope = _envelope.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
            metrics.ingest_requests.labels("400").inc()
            raise ApiProblem(
                400, "invalid_body", f'the body must be {{"events": [...]}}: {exc}'
            ) from None
        rows, rejected = validate_batch(envelope.events, device, site)
        count = len(envelope.events)
    try:
        result = await request.app[STORE].ingest(rows)
    except Exception:
        metrics.ingest_requests.labels("503").inc()
        raise
    metrics.requests_ok.inc()
    metrics.batch_events.observe(count)
    metrics.accepted.inc(result.accepted)
    if result.duplicates:  # adding nothing takes a lock all the same
        metrics.duplicate.inc(result.duplicates)
    if rejected:
        metrics.rejected.inc(len(rejected))
    reply = IngestReply(accepted=result.accepted, duplicates=result.duplicates, rejected=rejected)
    return web.Response(body=_encoder.encode(reply), content_type="application/json")
