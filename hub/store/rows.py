"""Row types of the events table and the time format the store writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from hub.client.events import Event

_ZERO = timedelta(0)


def rfc3339(moment: datetime) -> str:
    """An aware datetime as RFC 3339 UTC with microseconds, e.g. 2026-11-27T10:00:00.123000Z."""
    if moment.utcoffset() != _ZERO:
        moment = moment.astimezone(UTC)
    # isoformat is C code; "+00:00" becomes "Z" (one ingest formats thousands of these)
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


class EventRow(msgspec.Struct, frozen=True, kw_only=True):
    """A validated event about to be stored, already stamped with device, site and zone."""

    id: str
    type: str
    ts: str
    device_id: str
    site: str
    zone: str | None
    visitor: str | None
    body: bytes
    event: Event


class StoredEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A committed row of the events table, with the decoded event."""

    seq: int
    id: str
    type: str
    ts: str
    received: str
    device_id: str
    site: str
    zone: str | None
    visitor: str | None
    body: bytes
    event: Event


class IngestResult(msgspec.Struct, frozen=True):
    """How many rows of one ingest call were new and how many were already stored."""

    accepted: int
    duplicates: int
