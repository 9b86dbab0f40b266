"""The core tables of the hub store (component ``core``)."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from hub.store.migrations import Migration


def _v1(conn: sqlite3.Connection) -> None:
    # sqlite-utils' table API on the writer's connection: inside the migration's savepoint
    # its statements join the open transaction instead of committing on their own.
    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    db.table("events").create(
        {
            "seq": int,  # insertion order; the cloud sync cursor follows it
            "id": str,  # the event's UUIDv7 from the device (idempotency)
            "type": str,
            "ts": str,  # event time, RFC 3339 UTC
            "received": str,  # when the hub's writer took it, just before its commit
            "device_id": str,  # stamped from the token, never from the body
            "site": str,
            "zone": str,
            "visitor": str,  # visit pseudonym until purged
            "body": str,  # the validated event as JSON
        },
        pk="seq",
        not_null={"id", "type", "ts", "received", "device_id", "site", "body"},
    )
    db.table("events").create_index(["id"], index_name="events_id", unique=True)
    db.table("events").create_index(["type", "ts"], index_name="events_type_ts")
    db.table("devices").create(
        {
            "id": str,
            "kind": str,  # kiosk | beacon
            "name": str,
            "zone": str,
            "token_hash": str,  # sha256 of the token; the token itself is never stored
            "created": str,
            "last_seen": str,
            "version": str,
            "content_version": str,
            "status": str,  # last heartbeat JSON
            "revoked": str,  # time of revocation, NULL while active
        },
        pk="id",
        not_null={"kind", "name", "token_hash", "created"},
    )
    db.table("devices").create_index(["token_hash"], index_name="devices_token_hash", unique=True)
    db.table("pairing_codes").create(
        {
            "code_hash": str,
            "kind": str,
            "name": str,
            "zone": str,
            "created": str,
            "expires": str,
            "used": str,
        },
        pk="code_hash",
        not_null={"kind", "name", "created", "expires"},
    )
    db.table("beacon_health").create(
        {
            "beacon_id": str,
            "reported_by": str,
            "last_seen": str,
            "rssi": float,
            "battery_mv": int,
            "temperature_c": float,
            "adv_count": int,
            "uptime_s": float,
        },
        pk="beacon_id",
    )


CORE_MIGRATIONS: list[Migration] = [_v1]
