"""The event schema: the wire types devices send in ``POST /api/v1/events``.

Fields are only ever added (optional), never renamed. Device, site and received time
are not part of an event: the hub stamps them from the device's token.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Final, Literal

import msgspec

WHOLE_END: Final = r"(?!\n)$"


def whole(body: str) -> str:
    """A pattern the whole value must match: ``^body`` then ``WHOLE_END``.

    msgspec checks patterns with ``re.search``, whose ``$`` also matches before a final
    newline; the lookahead refuses that, and is plain ECMA-262 for the published schema.
    """
    return f"^{body}{WHOLE_END}"


UUID_PATTERN: Final = whole(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX_PATTERN: Final = whole(r"[0-9a-f]{8,64}")
NAME_PATTERN: Final = whole(r"[A-Za-z0-9_.:-]{1,64}")
LANGUAGE_PATTERN: Final = whole(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")

EventId = Annotated[str, msgspec.Meta(pattern=UUID_PATTERN)]
UtcTime = Annotated[datetime, msgspec.Meta(tz=True)]
Name = Annotated[str, msgspec.Meta(pattern=NAME_PATTERN)]
Pseudonym = Annotated[str, msgspec.Meta(pattern=HEX_PATTERN)]
NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Count = Annotated[int, msgspec.Meta(ge=0)]

InteractionAction = Literal[
    "session_start",
    "session_end",
    "view_artwork",
    "zoom",
    "audio_play",
    "audio_pause",
    "language",
    "info",
    "browse",
    "search",
    "accessibility",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    id: EventId
    ts: UtcTime


class Visit(_Event, frozen=True, tag="visit"):
    """A visitor pseudonym stayed in a zone."""

    zone: Name
    visitor: Pseudonym
    start: UtcTime
    end: UtcTime
    dwell_s: NonNegative
    samples: Count
    min_distance_m: NonNegative | None = None


class Occupancy(_Event, frozen=True, tag="occupancy"):
    """Visitors present in a zone over an interval (aggregate, no pseudonym)."""

    zone: Name
    start: UtcTime
    end: UtcTime
    count: Count
    peak: Count


class Interaction(_Event, frozen=True, tag="interaction"):
    """A kiosk (or opted-in phone) action, keyed by a random session id, nothing personal."""

    session: Annotated[str, msgspec.Meta(pattern=HEX_PATTERN)]
    action: InteractionAction
    artwork: Name | None = None
    language: Annotated[str, msgspec.Meta(pattern=LANGUAGE_PATTERN)] | None = None
    screen: Name | None = None


Event = Visit | Occupancy | Interaction
EVENT_TYPES: Final = ("visit", "occupancy", "interaction")

_event_decoder = msgspec.json.Decoder(Event)
_encoder = msgspec.json.Encoder()


def decode_event(raw: bytes) -> Event:
    """Decode and validate one event; raises msgspec.ValidationError/DecodeError with a reason."""
    event: Event = _event_decoder.decode(raw)
    if isinstance(event, Visit | Occupancy) and event.end < event.start:
        raise msgspec.ValidationError("`end` is before `start`")
    return event


def encode_event(event: Event) -> bytes:
    """The event's JSON bytes, as sent on the wire."""
    return _encoder.encode(event)


_lock = threading.Lock()
_last_ms = 0
_seq = 0


def new_event_id(now_ms: int | None = None) -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits.

    Ids made in one process are strictly increasing: within one millisecond the
    12-bit ``rand_a`` field counts up (RFC 9562, method 1).
    """
    global _last_ms, _seq
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        if ms <= _last_ms:
            ms = _last_ms
            _seq += 1
            if _seq > 0xFFF:  # counter exhausted: borrow the next millisecond
                ms += 1
                _seq = 0
        else:
            _seq = int.from_bytes(os.urandom(2), "big") & 0x3FF  # leave room to count up
        _last_ms = ms
        seq = _seq
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)
