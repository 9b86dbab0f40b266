"""The sync's own tables (migration component ``sync``) and the SQL that reads and moves them.

Functions here take a ``sqlite3.Connection``: the writer's inside ``store.run_write`` for
changes, a read connection from ``store.read()`` for reads. Tables:

- ``sync_meta``: the database's random epoch (part of every batch id).
- ``sync_streams``: per stream, the cursor and the batch in flight (id and range).
- ``sync_parked``: batches the receiver refused for good, kept on the hub with the error.
- ``sync_flows`` / ``sync_flow_days``: k-anonymous flow counts per day, and which days
  have been counted (pseudonyms of a day are purged only once its flows are counted).
- ``sync_requests``: ``cimaise hub sync now`` asks a running hub to try at once.
- ``sync_status``: the worker's last state, for ``cimaise hub sync status``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence
from typing import Any, Final, Protocol

from cimaise.settings import PrivacyMode
from hub.store.migrations import Migration
from hub.sync.batching import StreamRows
from hub.sync.cursor import InFlight, StreamCursor
from hub.sync.privacy import FlowRecord, event_rows, flow_rows

COMPONENT: Final = "sync"


def _v1(conn: sqlite3.Connection) -> None:
    for statement in (
        "CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE sync_streams (stream TEXT PRIMARY KEY, position INTEGER NOT NULL, "
        "batch TEXT, first INTEGER, last INTEGER, failures INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE sync_parked (batch TEXT PRIMARY KEY, stream TEXT NOT NULL, "
        "first INTEGER NOT NULL, last INTEGER NOT NULL, status INTEGER, error TEXT NOT NULL, "
        "parked TEXT NOT NULL)",
        "CREATE TABLE sync_flows (seq INTEGER PRIMARY KEY, day TEXT NOT NULL, hour TEXT NOT NULL, "
        "from_zone TEXT NOT NULL, to_zone TEXT NOT NULL, count INTEGER NOT NULL, "
        "visitors INTEGER NOT NULL, UNIQUE (day, hour, from_zone, to_zone))",
        "CREATE TABLE sync_flow_days (day TEXT PRIMARY KEY, computed TEXT NOT NULL, "
        "visits INTEGER NOT NULL, transitions INTEGER NOT NULL, kept INTEGER NOT NULL, "
        "suppressed INTEGER NOT NULL)",
        "CREATE TABLE sync_requests (id INTEGER PRIMARY KEY, requested TEXT NOT NULL, "
        "handled TEXT)",
        "CREATE TABLE sync_status (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ):
        conn.execute(statement)
    conn.execute("INSERT INTO sync_meta(key, value) VALUES ('epoch', ?)", (secrets.token_hex(4),))


def _v2(conn: sqlite3.Connection) -> None:
    # 'sync now --parked': also send the parked batches again
    conn.execute("ALTER TABLE sync_requests ADD COLUMN parked INTEGER NOT NULL DEFAULT 0")


MIGRATIONS: list[Migration] = [_v1, _v2]


def epoch(conn: sqlite3.Connection) -> str:
    """The database's random epoch (changes only with a new database)."""
    row = conn.execute("SELECT value FROM sync_meta WHERE key = 'epoch'").fetchone()
    return str(row[0])


# cursors -----------------------------------------------------------------------------------


def load_cursor(conn: sqlite3.Connection, stream: str) -> StreamCursor:
    """The stored cursor of a stream (at 0 with nothing in flight when never saved)."""
    row = conn.execute(
        "SELECT position, batch, first, last, failures FROM sync_streams WHERE stream = ?",
        (stream,),
    ).fetchone()
    if row is None:
        return StreamCursor(stream)
    position, batch, first, last, failures = row
    flight = InFlight(batch, first, last, failures) if batch is not None else None
    return StreamCursor(stream, position, flight)


def save_cursor(conn: sqlite3.Connection, cursor: StreamCursor) -> None:
    """Store a stream's cursor and its batch in flight."""
    f = cursor.in_flight
    conn.execute(
        "INSERT INTO sync_streams(stream, position, batch, first, last, failures) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(stream) DO UPDATE SET position = excluded.position, "
        "batch = excluded.batch, first = excluded.first, last = excluded.last, "
        "failures = excluded.failures",
        (
            cursor.stream,
            cursor.position,
            f.batch if f else None,
            f.first if f else None,
            f.last if f else None,
            f.failures if f else 0,
        ),
    )


def park(
    conn: sqlite3.Connection, cursor: StreamCursor, status: int | None, error: str, now: str
) -> StreamCursor:
    """Set the batch in flight aside with the receiver's reason and move the cursor past it."""
    f = cursor.in_flight
    if f is None:
        return cursor
    conn.execute(
        "INSERT OR REPLACE INTO sync_parked(batch, stream, first, last, status, error, parked) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (f.batch, cursor.stream, f.first, f.last, status, error, now),
    )
    done = cursor.done()
    save_cursor(conn, done)
    return done


def parked_batches(conn: sqlite3.Connection) -> list[tuple[str, str, int, int]]:
    """``(batch, stream, first, last)`` of every parked batch, oldest range first."""
    rows = conn.execute("SELECT batch, stream, first, last FROM sync_parked ORDER BY first")
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def unpark(conn: sqlite3.Connection, batch: str) -> None:
    """Forget a parked batch (it was delivered)."""
    conn.execute("DELETE FROM sync_parked WHERE batch = ?", (batch,))


def note_parked_error(conn: sqlite3.Connection, batch: str, status: int | None, error: str) -> None:
    """Record the latest refusal of a parked batch."""
    conn.execute(
        "UPDATE sync_parked SET status = ?, error = ? WHERE batch = ?", (status, error, batch)
    )


def parked_count(conn: sqlite3.Connection) -> int:
    """How many batches are parked."""
    return int(conn.execute("SELECT count(*) FROM sync_parked").fetchone()[0])


# streams -----------------------------------------------------------------------------------


class Stream(Protocol):
    """A table the sync sends in order of its sequence numbers."""

    name: str
    table: str  # where its rows are, keyed by ``seq``

    def rows(
        self, conn: sqlite3.Connection, first: int, last: int | None, limit: int
    ) -> StreamRows:
        """The rows from ``first`` (to ``last``), at most ``limit``."""
        ...

    def backlog(self, conn: sqlite3.Connection, position: int) -> int:
        """Rows after the cursor."""
        ...


class EventStream:
    """The events table, through the privacy transform of the configured mode."""

    name = "events"
    table = "events"

    def __init__(self, mode: PrivacyMode) -> None:
        self.mode: PrivacyMode = mode

    def rows(
        self, conn: sqlite3.Connection, first: int, last: int | None, limit: int
    ) -> StreamRows:
        # the zone column goes out with interactions only (the kiosk's zone); the other
        # types carry their zone in the body
        sql = (
            "SELECT seq, received, device_id, site, "
            "CASE type WHEN 'interaction' THEN zone END, body FROM events "
            "WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?"
        )
        upper = last if last is not None else 2**63 - 1
        return event_rows(conn.execute(sql, (first, upper, limit)), self.mode)

    def backlog(self, conn: sqlite3.Connection, position: int) -> int:
        # With sync on nothing after the cursor is deleted, so the rows after it have no
        # gaps: the difference is exact and O(1) where count(*) would scan the backlog.
        # (Events deleted while sync was off can leave gaps: then it is an upper bound.)
        # One aggregate per query: SQLite then reads the min or max of the key directly.
        low = conn.execute("SELECT coalesce(min(seq), 1) FROM events").fetchone()[0]
        top = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        return max(0, int(top) - max(position, int(low) - 1))


class FlowStream:
    """The k-anonymous flow counts, one record per (day, hour, from, to)."""

    name = "flows"
    table = "sync_flows"

    def __init__(self, site: str) -> None:
        self.site = site

    def rows(
        self, conn: sqlite3.Connection, first: int, last: int | None, limit: int
    ) -> StreamRows:
        sql = (
            "SELECT seq, day, hour, from_zone, to_zone, count, visitors FROM sync_flows "
            "WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?"
        )
        upper = last if last is not None else 2**63 - 1
        seqs: list[int] = []
        records: list[FlowRecord] = []
        for seq, day, hour, a, b, count, visitors in conn.execute(sql, (first, upper, limit)):
            seqs.append(seq)
            records.append(
                FlowRecord(
                    id=f"flow-{self.site}-{hour}-{a}-{b}",
                    day=day,
                    hour=hour,
                    from_zone=a,
                    to_zone=b,
                    count=count,
                    visitors=visitors,
                    site=self.site,
                )
            )
        return flow_rows(seqs, records)

    def backlog(self, conn: sqlite3.Connection, position: int) -> int:
        return int(
            conn.execute("SELECT count(*) FROM sync_flows WHERE seq > ?", (position,)).fetchone()[0]
        )


def seqs_between(conn: sqlite3.Connection, stream: Stream, first: int, last: int) -> list[int]:
    """The sequence numbers a stream holds in a range (to split a batch)."""
    # the table is a constant of the stream's class, never input
    sql = f"SELECT seq FROM {stream.table} WHERE seq >= ? AND seq <= ? ORDER BY seq"  # noqa: S608
    return [seq for (seq,) in conn.execute(sql, (first, last))]


# requests and status -----------------------------------------------------------------------


def request_sync(conn: sqlite3.Connection, now: str, parked: bool = False) -> int:
    """Ask the running hub's worker to try at once (and parked batches too); the request id."""
    cur = conn.execute(
        "INSERT INTO sync_requests(requested, parked) VALUES (?, ?)", (now, int(parked))
    )
    return int(cur.lastrowid or 0)


def pending_requests(conn: sqlite3.Connection) -> list[tuple[int, bool]]:
    """``(id, parked too)`` of the ``sync now`` requests not handled yet."""
    rows = conn.execute("SELECT id, parked FROM sync_requests WHERE handled IS NULL")
    return [(r[0], bool(r[1])) for r in rows]


def mark_handled(conn: sqlite3.Connection, ids: Sequence[int], now: str) -> None:
    """Mark requests handled (and forget old ones)."""
    conn.executemany("UPDATE sync_requests SET handled = ? WHERE id = ?", [(now, i) for i in ids])
    conn.execute(
        "DELETE FROM sync_requests WHERE id NOT IN "
        "(SELECT id FROM sync_requests ORDER BY id DESC LIMIT 100)"
    )


def save_status(conn: sqlite3.Connection, status: dict[str, Any]) -> None:
    """Store the worker's state for other processes (the CLI)."""
    conn.execute(
        "INSERT INTO sync_status(key, value) VALUES ('status', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (json.dumps(status),),
    )


def load_status(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The worker's last stored state, or None when it never ran."""
    row = conn.execute("SELECT value FROM sync_status WHERE key = 'status'").fetchone()
    if row is None:
        return None
    value: dict[str, Any] = json.loads(row[0])
    return value


def has_sync_tables(conn: sqlite3.Connection) -> bool:
    """True when the sync's migrations ran on this database."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_streams'"
    ).fetchone()
    return row is not None
