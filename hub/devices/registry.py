"""``DeviceRegistry``: pairing codes, enrollment, token checks and device management.

The CLI, the device API and the technician page all go through it. Writes run on the
store's writer (one transaction each); token checks read a connection of their own.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cimaise.errors import PairingError
from hub.client.events import utc_now
from hub.client.wire import DeviceKind, Enrollment, HeartbeatRequest
from hub.devices.codes import code_hash, new_pairing_code, new_token, token_hash
from hub.store import Store, rfc3339

log = logging.getLogger(__name__)

DEVICE_KINDS: tuple[DeviceKind, ...] = ("kiosk", "beacon")


class PairingCodeUsedError(PairingError):
    """Raised when a pairing code that already enrolled a device is used again."""


class UnknownDeviceError(PairingError):
    """Raised when a device id names no device of this hub."""


@dataclass(frozen=True, slots=True)
class PairingCode:
    """A code to type on a device, and until when it works."""

    code: str
    kind: DeviceKind
    name: str
    zone: str | None
    expires: datetime


@dataclass(frozen=True, slots=True)
class Device:
    """A device as the hub knows it (never its token)."""

    id: str
    kind: str
    name: str
    zone: str | None = None
    created: str = ""
    last_seen: str | None = None
    version: str | None = None
    content_version: str | None = None
    status: dict[str, Any] | None = None
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


DEVICE_COLUMNS = (
    "id, kind, name, zone, created, last_seen, version, content_version, status, revoked"
)


def device_from_row(row: tuple[Any, ...]) -> Device:
    """A Device from a row of ``SELECT DEVICE_COLUMNS FROM devices``."""
    status = json.loads(row[8]) if row[8] else None
    return Device(
        id=row[0],
        kind=row[1],
        name=row[2],
        zone=row[3],
        created=row[4],
        last_seen=row[5],
        version=row[6],
        content_version=row[7],
        status=status,
        revoked=row[9],
    )


class DeviceRegistry:
    """Devices of one hub, over its store. ``clock`` returns aware UTC datetimes."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utc_now,
        code_ttl: timedelta = timedelta(minutes=10),
        auth_cache_s: float = 2.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.code_ttl = code_ttl
        self.auth_cache_s = auth_cache_s
        self._screenshot_requests: set[str] = set()
        # token hash -> (device, monotonic expiry): spares a read on every device call.
        # Every change made through this registry clears it at once (a revoked device's
        # next call gets 401); a change made by another process shows within auth_cache_s.
        self._auth_cache: dict[str, tuple[Device, float]] = {}

    # pairing -----------------------------------------------------------------------------
    async def create_pairing_code(
        self, kind: DeviceKind, name: str, zone: str | None = None
    ) -> PairingCode:
        """Make a single-use code for a device of ``kind``, named ``name``, in ``zone``."""
        if kind not in DEVICE_KINDS:
            raise PairingError(f"a device is a kiosk or a beacon, not {kind!r}")
        if not name.strip():
            raise PairingError("a device needs a name")
        now = self.clock()
        code = new_pairing_code()
        expires = now + self.code_ttl

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM pairing_codes WHERE expires < ?", (rfc3339(now),))
            conn.execute(
                "INSERT INTO pairing_codes(code_hash, kind, name, zone, created, expires) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (code_hash(code), kind, name.strip(), zone, rfc3339(now), rfc3339(expires)),
            )

        await self.store.run_write(write)
        log.info("pairing code made for %s %r (zone %s)", kind, name, zone)
        return PairingCode(code=code, kind=kind, name=name.strip(), zone=zone, expires=expires)

    async def enroll(self, code: str, kind: DeviceKind, name: str) -> Enrollment:
        """Use a pairing code once: a new device with its own token (only its hash kept).

        The device gets the name and zone the technician gave the code; ``name`` is the
        device's own suggestion, kept when the code has none.
        """
        now = rfc3339(self.clock())
        token = new_token()
        device_id = str(uuid.uuid4())

        def write(conn: sqlite3.Connection) -> Enrollment:
            row = conn.execute(
                "SELECT kind, name, zone, expires, used FROM pairing_codes WHERE code_hash = ?",
                (code_hash(code),),
            ).fetchone()
            if row is None:
                raise PairingError("this pairing code is not known: make a new one on the hub")
            code_kind, code_name, zone, expires, used = row
            if used is not None:
                raise PairingCodeUsedError("this pairing code was already used: make a new one")
            if expires < now:
                raise PairingError("this pairing code has expired: make a new one on the hub")
            if code_kind != kind:
                raise PairingError(f"this pairing code is for a {code_kind}, not a {kind}")
            conn.execute(
                "UPDATE pairing_codes SET used = ? WHERE code_hash = ?", (now, code_hash(code))
            )
            conn.execute(
                "INSERT INTO devices(id, kind, name, zone, token_hash, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (device_id, kind, code_name or name, zone, token_hash(token), now),
            )
            return Enrollment(device_id=device_id, token=token, zone=zone)

        enrollment = await self.store.run_write(write)
        log.info("device %s enrolled as a %s", device_id, kind)
        return enrollment

    # tokens --------------------------------------------------------------------------
    def authenticate(self, token: str) -> Device | None:
        """The active device holding ``token``, or None (unknown or revoked)."""
        key = token_hash(token)
        now = time.monotonic()
        cached = self._auth_cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        with self.store.read() as conn:
            row = conn.execute(
                f"SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ? AND revoked IS NULL",  # noqa: S608
                (key,),
            ).fetchone()
        if row is None:
            self._auth_cache.pop(key, None)
            return None
        device = device_from_row(row)
        if len(self._auth_cache) > 10_000:
            self._auth_cache.clear()
        self._auth_cache[key] = (device, now + self.auth_cache_s)
        return device

    # management ----------------------------------------------------------------------
    def get(self, device_id: str) -> Device | None:
        """One device by id (revoked ones included)."""
        with self.store.read() as conn:
            row = conn.execute(
                f"SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?",  # noqa: S608
                (device_id,),
            ).fetchone()
        return device_from_row(row) if row else None

    def list_devices(self, include_revoked: bool = False) -> list[Device]:
        """Every device, by kind then name."""
        where = "" if include_revoked else "WHERE revoked IS NULL"
        with self.store.read() as conn:
            rows = conn.execute(
                f"SELECT {DEVICE_COLUMNS} FROM devices {where} ORDER BY kind, name"  # noqa: S608
            ).fetchall()
        return [device_from_row(r) for r in rows]

    async def _update(self, device_id: str, sql: str, *params: Any) -> None:
        def write(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(sql, (*params, device_id))
            if cursor.rowcount == 0:
                raise UnknownDeviceError(f"no device {device_id} on this hub")

        try:
            await self.store.run_write(write)
        finally:
            self._auth_cache.clear()

    async def revoke(self, device_id: str) -> None:
        """Revoke a device: its next call gets 401 and it must pair again."""
        await self._update(
            device_id, "UPDATE devices SET revoked = ? WHERE id = ?", rfc3339(self.clock())
        )
        self._screenshot_requests.discard(device_id)
        log.info("device %s revoked", device_id)

    async def rename(self, device_id: str, name: str) -> None:
        """Give a device another name."""
        if not name.strip():
            raise PairingError("a device needs a name")
        await self._update(device_id, "UPDATE devices SET name = ? WHERE id = ?", name.strip())

    async def move_zone(self, device_id: str, zone: str | None) -> None:
        """Move a device to another zone (told to it in its next heartbeat reply)."""
        await self._update(device_id, "UPDATE devices SET zone = ? WHERE id = ?", zone)

    # heartbeats and screenshots ------------------------------------------------------
    async def record_heartbeat(self, device: Device, beat: HeartbeatRequest) -> None:
        """Keep a device's status and, for agents, the health of the beacons they hear."""
        now = rfc3339(self.clock())
        status = json.dumps(
            {
                "status": beat.status,
                "outbox": None
                if beat.outbox is None
                else {
                    "pending": beat.outbox.pending,
                    "dropped": beat.outbox.dropped,
                    "oldest": beat.outbox.oldest,
                },
            },
            separators=(",", ":"),
        )

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE devices SET last_seen = ?, version = ?, content_version = ?, "
                "status = ? WHERE id = ?",
                (now, beat.version, beat.content_version, status, device.id),
            )
            conn.executemany(
                "INSERT INTO beacon_health(beacon_id, reported_by, last_seen, rssi, battery_mv, "
                "temperature_c, adv_count, uptime_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(beacon_id) DO UPDATE SET reported_by = excluded.reported_by, "
                "last_seen = excluded.last_seen, rssi = excluded.rssi, "
                "battery_mv = coalesce(excluded.battery_mv, battery_mv), "
                "temperature_c = coalesce(excluded.temperature_c, temperature_c), "
                "adv_count = coalesce(excluded.adv_count, adv_count), "
                "uptime_s = coalesce(excluded.uptime_s, uptime_s)",
                [
                    (
                        b.beacon_id,
                        device.id,
                        b.last_seen or now,
                        b.rssi,
                        b.battery_mv,
                        b.temperature_c,
                        b.adv_count,
                        b.uptime_s,
                    )
                    for b in beat.beacons
                ],
            )

        await self.store.run_write(write)

    def request_screenshot(self, device_id: str) -> None:
        """Ask a kiosk for a screenshot in the reply to its next heartbeat."""
        self._screenshot_requests.add(device_id)

    def take_screenshot_request(self, device_id: str) -> bool:
        """True (once) when a screenshot was requested for this device."""
        if device_id in self._screenshot_requests:
            self._screenshot_requests.discard(device_id)
            return True
        return False

    def online_count(self, within: timedelta) -> int:
        """Active devices whose last heartbeat is more recent than ``within``."""
        since = rfc3339(self.clock() - within)
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT count(*) FROM devices WHERE revoked IS NULL AND last_seen >= ?", (since,)
            ).fetchone()
        return int(row[0])
