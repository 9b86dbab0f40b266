"""The web component's tables (component ``web`` of the hub store).

Accounts, sessions and the login log; the settings edited on the page; the analytics
rollups kept by the rollup follower (see ``hub.web.follower`` and ``hub.web.rollup_store``).
"""

from __future__ import annotations

import sqlite3

from hub.store.migrations import Migration

COMPONENT = "web"


def _run(conn: sqlite3.Connection, script: str) -> None:
    # Statement by statement: executescript() would commit the surrounding transaction.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE web_users (
          name TEXT PRIMARY KEY,
          password_hash TEXT NOT NULL,
          created TEXT NOT NULL,
          password_changed TEXT NOT NULL
        );
        CREATE TABLE web_sessions (
          id_hash TEXT PRIMARY KEY,
          user TEXT NOT NULL REFERENCES web_users(name) ON DELETE CASCADE,
          csrf TEXT NOT NULL,
          created TEXT NOT NULL,
          expires TEXT NOT NULL
        );
        CREATE INDEX web_sessions_user ON web_sessions(user);
        CREATE TABLE web_login_attempts (
          ts TEXT NOT NULL,
          user TEXT NOT NULL,
          ok INTEGER NOT NULL,
          reason TEXT
        );
        CREATE INDEX web_login_attempts_ts ON web_login_attempts(ts);
        CREATE TABLE web_settings (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL,
          updated TEXT NOT NULL
        );
        CREATE TABLE web_zone_hour (
          day TEXT NOT NULL, hour INTEGER NOT NULL, zone TEXT NOT NULL,
          visits INTEGER NOT NULL, dwell_s REAL NOT NULL, peak INTEGER NOT NULL,
          PRIMARY KEY (day, zone, hour)
        ) WITHOUT ROWID;
        CREATE TABLE web_dwell (
          day TEXT NOT NULL, zone TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
          PRIMARY KEY (day, zone, bucket)
        ) WITHOUT ROWID;
        CREATE TABLE web_kiosk_artwork (
          day TEXT NOT NULL, artwork TEXT NOT NULL, views INTEGER NOT NULL,
          other INTEGER NOT NULL,
          PRIMARY KEY (day, artwork)
        ) WITHOUT ROWID;
        CREATE TABLE web_kiosk_language (
          day TEXT NOT NULL, language TEXT NOT NULL, n INTEGER NOT NULL,
          sessions INTEGER NOT NULL,
          PRIMARY KEY (day, language)
        ) WITHOUT ROWID;
        CREATE TABLE web_flow (
          day TEXT NOT NULL, from_zone TEXT NOT NULL, to_zone TEXT NOT NULL,
          n INTEGER NOT NULL, visitors INTEGER NOT NULL,
          PRIMARY KEY (day, from_zone, to_zone)
        ) WITHOUT ROWID;
        CREATE TABLE web_day (
          day TEXT PRIMARY KEY, visitors INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE web_flow_last (
          visitor TEXT PRIMARY KEY, zone TEXT NOT NULL, start REAL NOT NULL,
          end_ REAL NOT NULL, day TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX web_flow_last_day ON web_flow_last(day);
        CREATE TABLE web_flow_seen (
          day TEXT NOT NULL, from_zone TEXT NOT NULL, to_zone TEXT NOT NULL, visitor TEXT NOT NULL,
          PRIMARY KEY (day, from_zone, to_zone, visitor)
        ) WITHOUT ROWID
        """,
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Rollups follow the event log after commit (a cursor) instead of an ingest hook.

    The cursor starts after the last stored event when the hook of earlier versions has
    counted them (the rollups hold something), else at the start of the log. The flow
    memory becomes an append-only log (local writes; the follower keeps the current
    day's memory in memory), filled from the former per-pseudonym table.
    """
    _run(
        conn,
        """
        CREATE TABLE web_rollup_cursor (
          one INTEGER PRIMARY KEY CHECK (one = 1),
          seq INTEGER NOT NULL
        );
        CREATE TABLE web_flow_memory (
          id INTEGER PRIMARY KEY,
          visitor TEXT NOT NULL, zone TEXT NOT NULL, start REAL NOT NULL,
          end_ REAL NOT NULL, day TEXT NOT NULL
        );
        INSERT INTO web_flow_memory(visitor, zone, start, end_, day)
          SELECT visitor, zone, start, end_, day FROM web_flow_last;
        DROP TABLE web_flow_last
        """,
    )
    has_events = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
    ).fetchone()
    counted = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM web_zone_hour) OR EXISTS (SELECT 1 FROM web_kiosk_language)"
    ).fetchone()[0]
    start = 0
    if has_events and counted:
        start = int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
    conn.execute("INSERT INTO web_rollup_cursor(one, seq) VALUES (1, ?)", (start,))


WEB_MIGRATIONS: list[Migration] = [_v1, _v2]
