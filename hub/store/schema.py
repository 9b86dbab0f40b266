"""The core tables of the hub store (component ``core``)."""

from __future__ import annotations

import sqlite3

from hub.store.migrations import Migration


def _v1(conn: sqlite3.Connection) -> None:
    # Statement by statement: executescript() would commit the surrounding transaction.
    script = """
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          type TEXT NOT NULL,
          ts TEXT NOT NULL,
          received TEXT NOT NULL,
          device_id TEXT NOT NULL,
          site TEXT NOT NULL,
          zone TEXT,
          visitor TEXT,
          body TEXT NOT NULL
        );
        CREATE INDEX events_type_ts ON events(type, ts);
        CREATE TABLE devices (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          name TEXT NOT NULL,
          zone TEXT,
          token_hash TEXT NOT NULL UNIQUE,
          created TEXT NOT NULL,
          last_seen TEXT,
          version TEXT,
          content_version TEXT,
          status TEXT,
          revoked TEXT
        );
        CREATE TABLE pairing_codes (
          code_hash TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          name TEXT NOT NULL,
          zone TEXT,
          created TEXT NOT NULL,
          expires TEXT NOT NULL,
          used TEXT
        );
        CREATE TABLE beacon_health (
          beacon_id TEXT PRIMARY KEY,
          reported_by TEXT,
          last_seen TEXT,
          rssi REAL,
          battery_mv INTEGER,
          temperature_c REAL,
          adv_count INTEGER,
          uptime_s REAL
        );
        """
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


CORE_MIGRATIONS: list[Migration] = [_v1]
