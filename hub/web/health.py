"""What the overview warns about, decided from plain rows (pure, the clock passed in)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final, Literal

#: a device that has not called for this long is shown offline (the hub passes the device
#: API's own window, three heartbeat intervals)
ONLINE_WINDOW: Final = timedelta(minutes=2)
#: ... and warned about after this long
SILENT_AFTER: Final = timedelta(minutes=10)
#: a fixed beacon below this battery voltage needs a new cell (CR2032 / AA lithium run to ~2.0 V)
LOW_BATTERY_MV: Final = 2500
#: a fixed beacon no agent has heard for this long is warned about
BEACON_UNHEARD_AFTER: Final = timedelta(hours=1)
#: warn when the store uses this share of the disk budget
DISK_WARN_SHARE: Final = 0.8

Status = Literal["online", "offline", "never", "revoked"]


def parse_time(text: str | None) -> datetime | None:
    """An RFC 3339 time from the store (``...Z``), or None."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def device_status(
    last_seen: str | None, revoked: str | None, now: datetime, window: timedelta = ONLINE_WINDOW
) -> Status:
    """Online when the device's last heartbeat is within ``window``."""
    if revoked:
        return "revoked"
    seen = parse_time(last_seen)
    if seen is None:
        return "never"
    return "online" if now - seen <= window else "offline"


@dataclasses.dataclass(frozen=True, slots=True)
class DeviceRow:
    id: str
    kind: str
    name: str
    zone: str | None
    last_seen: str | None
    version: str | None
    content_version: str | None
    revoked: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class BeaconHealthRow:
    beacon_id: str
    last_seen: str | None
    battery_mv: int | None


@dataclasses.dataclass(frozen=True, slots=True)
class Warning:
    """One line of the overview's warnings; ``severity`` is ``warn`` or ``bad``."""

    severity: Literal["warn", "bad"]
    text: str


def warnings(
    devices: Iterable[DeviceRow],
    beacons: Iterable[BeaconHealthRow],
    fixed_beacons: Sequence[str],
    now: datetime,
    *,
    sync_error: str | None = None,
    sync_failures: int = 0,
    store_bytes: int = 0,
    budget_bytes: int = 0,
    content_error: str | None = None,
) -> list[Warning]:
    """Every warning the overview shows, most serious first."""
    out: list[Warning] = []
    for device in devices:
        if device.revoked:
            continue
        seen = parse_time(device.last_seen)
        if seen is not None and now - seen > SILENT_AFTER:
            minutes = int((now - seen).total_seconds() // 60)
            out.append(
                Warning("bad", f"{device.kind.capitalize()} “{device.name}” silent for "
                        f"{_duration(minutes)}.")
            )
    heard = {b.beacon_id: b for b in beacons}
    for beacon_id in fixed_beacons:
        row = heard.get(beacon_id)
        if row is None:
            continue
        if row.battery_mv is not None and row.battery_mv < LOW_BATTERY_MV:
            out.append(
                Warning("warn", f"Fixed beacon “{beacon_id}” battery low ({row.battery_mv} mV).")
            )
        seen = parse_time(row.last_seen)
        if seen is not None and now - seen > BEACON_UNHEARD_AFTER:
            minutes = int((now - seen).total_seconds() // 60)
            out.append(
                Warning("warn", f"Fixed beacon “{beacon_id}” not heard for {_duration(minutes)}.")
            )
    if sync_error:
        out.append(Warning("bad", f"Cloud sync failing ({sync_failures} tries): {sync_error}"))
    if budget_bytes and store_bytes >= DISK_WARN_SHARE * budget_bytes:
        share = 100 * store_bytes / budget_bytes
        out.append(Warning("bad", f"The store uses {share:.0f} % of its disk budget."))
    if content_error:
        out.append(Warning("warn", f"Content not published: {content_error}"))
    out.sort(key=lambda w: w.severity != "bad")
    return out


def _duration(minutes: int) -> str:
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"
