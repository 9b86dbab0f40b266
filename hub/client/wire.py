"""Wire types of the device API (requests and replies), shared by the hub and devices.

Fields are only ever added (optional), never renamed. Every API error is a problem
document (RFC 9457): ``type``, ``title``, ``status``, ``detail`` and a stable ``code``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

DeviceKind = Literal["kiosk", "beacon"]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
# Integers the hub writes into SQLite columns must fit its 64-bit INTEGER.
Counter = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class Problem(msgspec.Struct, kw_only=True):
    """An API error: a stable machine ``code`` and a human sentence in ``detail``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str


class EnrollRequest(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /api/v1/devices/enroll``: the pairing code and who the device is."""

    code: Annotated[str, msgspec.Meta(min_length=4, max_length=32)]
    kind: DeviceKind
    name: Text


class Enrollment(msgspec.Struct, frozen=True, kw_only=True):
    """The reply to an enrollment: the device's id, its token (shown once) and its zone."""

    device_id: str
    token: str
    zone: str | None = None


class Rejection(msgspec.Struct, frozen=True):
    """One event of a batch that was refused, by its index in the batch."""

    index: int
    error: str


class IngestReply(msgspec.Struct, frozen=True, kw_only=True):
    """The reply to ``POST /api/v1/events``."""

    accepted: int
    duplicates: int
    rejected: list[Rejection] = []


class OutboxStats(msgspec.Struct, frozen=True, kw_only=True):
    """A device's outbox: events waiting, events dropped because it was full."""

    pending: Counter = 0
    dropped: Counter = 0
    oldest: str | None = None  # RFC 3339 time the oldest waiting event was added


class BeaconHealth(msgspec.Struct, frozen=True, kw_only=True):
    """What a beacon agent heard of one of the museum's fixed beacons."""

    beacon_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    last_seen: str | None = None
    rssi: Annotated[float, msgspec.Meta(ge=-200, le=50)] | None = None
    battery_mv: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None
    temperature_c: Annotated[float, msgspec.Meta(ge=-100, le=200)] | None = None
    adv_count: Counter | None = None
    uptime_s: Annotated[float, msgspec.Meta(ge=0)] | None = None


class HeartbeatRequest(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /api/v1/devices/heartbeat``: the device's status."""

    status: dict[str, Any] = {}
    version: str | None = None
    content_version: str | None = None
    outbox: OutboxStats | None = None
    beacons: list[BeaconHealth] = []


class HeartbeatReply(msgspec.Struct, frozen=True, kw_only=True):
    """The hub's answer to a heartbeat; ``pseudonym_key`` only for beacon agents."""

    content_version: str | None = None
    screenshot_requested: bool = False
    zone: str | None = None
    interval_s: float = 30.0
    pseudonym_key: str | None = None  # hex, 32 bytes, memory only
    key_id: str | None = None
    key_expires: str | None = None  # RFC 3339 UTC
