"""Reads of the hub's core tables the page shows (devices, beacon health), on a reader."""

from __future__ import annotations

import sqlite3

from hub.web.health import BeaconHealthRow, DeviceRow


def devices(conn: sqlite3.Connection) -> list[DeviceRow]:
    """Every device, active ones first, by kind and name."""
    rows = conn.execute(
        "SELECT id, kind, name, zone, last_seen, version, content_version, revoked FROM devices "
        "ORDER BY revoked IS NOT NULL, kind, name"
    ).fetchall()
    return [DeviceRow(*(None if v is None else str(v) for v in row)) for row in rows]  # type: ignore[arg-type]


def beacon_health(conn: sqlite3.Connection) -> list[BeaconHealthRow]:
    """The latest health report of every beacon an agent heard."""
    rows = conn.execute("SELECT beacon_id, last_seen, battery_mv FROM beacon_health").fetchall()
    return [
        BeaconHealthRow(str(b), None if s is None else str(s), None if mv is None else int(mv))
        for b, s, mv in rows
    ]
