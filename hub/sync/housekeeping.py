"""The hub's privacy and disk chores: count flows, purge pseudonyms, drop synced events.

Each function is one SQL step on a connection; the worker runs them in this order on
every round, through ``store.run_write`` (reads through ``store.read()``):

1. count the flows of every finished day (UTC) that still has pseudonymous visits;
2. purge pseudonyms older than the retention, but only of days already counted (the
   flows must be computed before the pseudonyms that make them disappear);
3. delete events older than the event retention that are synced (or that no sync
   waits for: sync off), never a parked batch's;
4. while the database uses more than the disk budget, delete the oldest such events;
   unsynced events are kept and the state says the budget is exceeded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hub.sync.flows import FlowResult, VisitSpan

DAY = timedelta(days=1)


def day_start(day: str) -> datetime:
    """Midnight UTC of a ``YYYY-MM-DD`` day."""
    return datetime.fromisoformat(day + "T00:00:00+00:00")


def rfc3339(moment: datetime) -> str:
    """The store's time format (compares correctly as text with the ``ts`` column)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def days_to_count(conn: sqlite3.Connection, now: datetime, grace: timedelta) -> list[str]:
    """Finished days (their end plus ``grace`` is past) with pseudonyms, not counted yet."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    limit = today if now - today >= grace else today - DAY
    rows = conn.execute(
        "SELECT DISTINCT substr(ts, 1, 10) AS day FROM events "
        "WHERE type = 'visit' AND visitor IS NOT NULL AND ts < ? "
        "AND day NOT IN (SELECT day FROM sync_flow_days) ORDER BY day",
        (rfc3339(limit),),
    )
    return [r[0] for r in rows]


def day_visits(conn: sqlite3.Connection, day: str) -> list[VisitSpan]:
    """The pseudonymous visits of one day (by event time), as flows need them."""
    start = day_start(day)
    rows = conn.execute(
        "SELECT visitor, zone, json_extract(body, '$.start'), json_extract(body, '$.end') "
        "FROM events WHERE type = 'visit' AND ts >= ? AND ts < ? AND visitor IS NOT NULL "
        "AND zone IS NOT NULL",
        (rfc3339(start), rfc3339(start + DAY)),
    )
    return [
        # devices may send any offset: flows are counted in UTC hours
        VisitSpan(
            visitor,
            zone,
            datetime.fromisoformat(a).astimezone(UTC),
            datetime.fromisoformat(b).astimezone(UTC),
        )
        for visitor, zone, a, b in rows
    ]


def store_flows(
    conn: sqlite3.Connection, day: str, result: FlowResult, visits: int, now: datetime
) -> None:
    """Keep a day's flow counts (already k-anonymous) and mark the day counted."""
    conn.executemany(
        "INSERT INTO sync_flows(day, hour, from_zone, to_zone, count, visitors) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [
            (
                day,
                f.hour.strftime("%Y-%m-%dT%H:00:00Z"),
                f.from_zone,
                f.to_zone,
                f.count,
                f.visitors,
            )
            for f in result.flows
        ],
    )
    conn.execute(
        "INSERT OR REPLACE INTO sync_flow_days(day, computed, visits, transitions, kept, "
        "suppressed) VALUES (?, ?, ?, ?, ?, ?)",
        (day, rfc3339(now), visits, result.transitions, len(result.flows), result.suppressed_cells),
    )


def purge_pseudonyms(conn: sqlite3.Connection, older_than: datetime) -> int:
    """NULL the pseudonym (column and body) of visits before ``older_than`` of counted days."""
    # Overwrite the old bytes instead of leaving them in free space of the file.
    previous = conn.execute("PRAGMA secure_delete").fetchone()[0]
    conn.execute("PRAGMA secure_delete = ON")
    cur = conn.execute(
        "UPDATE events SET visitor = NULL, body = json_replace(body, '$.visitor', NULL) "
        "WHERE type = 'visit' AND ts < ? AND visitor IS NOT NULL "
        "AND substr(ts, 1, 10) IN (SELECT day FROM sync_flow_days)",
        (rfc3339(older_than),),
    )
    conn.execute(f"PRAGMA secure_delete = {int(previous)}")
    return cur.rowcount


_DELETABLE = (
    "seq <= ? AND NOT EXISTS (SELECT 1 FROM sync_parked p "
    "WHERE p.stream = 'events' AND events.seq BETWEEN p.first AND p.last)"
)


def delete_events(
    conn: sqlite3.Connection, upto_seq: int, older_than: datetime | None, limit: int
) -> int:
    """Delete up to ``limit`` of the oldest events at or before ``upto_seq`` (not parked)."""
    where = _DELETABLE
    params: list[object] = [upto_seq]
    if older_than is not None:
        where += " AND ts < ?"
        params.append(rfc3339(older_than))
    cur = conn.execute(
        f"DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE {where} "  # noqa: S608
        "ORDER BY seq LIMIT ?)",
        [*params, limit],
    )
    return cur.rowcount


def delete_flows(conn: sqlite3.Connection, upto_seq: int, older_than: datetime) -> int:
    """Delete sent flow counts of days before ``older_than``."""
    cur = conn.execute(
        "DELETE FROM sync_flows WHERE seq <= ? AND day < ?",
        (upto_seq, older_than.strftime("%Y-%m-%d")),
    )
    return cur.rowcount


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of the database in use (pages minus free pages): what the disk budget counts."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def unsynced_oldest(conn: sqlite3.Connection, position: int) -> str | None:
    """Event time of the oldest event not synced yet."""
    row = conn.execute("SELECT ts FROM events WHERE seq > ? ORDER BY seq LIMIT 1", (position,))
    first = row.fetchone()
    return str(first[0]) if first else None


def max_seq(conn: sqlite3.Connection) -> int:
    """The last sequence number of the events table (0 when empty)."""
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])


def counted_days(conn: sqlite3.Connection) -> Sequence[tuple[str, int, int, int]]:
    """``(day, visits, kept, suppressed)`` of every counted day, newest first."""
    return conn.execute(
        "SELECT day, visits, kept, suppressed FROM sync_flow_days ORDER BY day DESC"
    ).fetchall()
