"""Analytics rollups, the SQLite part: the ingest hook and bulk (re)building.

The hook runs inside the store's ingest transaction (``Store.add_ingest_hook``), so a
committed event is counted exactly once, and a duplicate (not passed to hooks) never.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import Protocol

from hub.client.events import Event
from hub.web.rollup import Last, RollupDelta, accumulate_all, count_flows


class _HasEvent(Protocol):
    @property
    def zone(self) -> str | None: ...

    @property
    def event(self) -> Event: ...


def apply_delta(conn: sqlite3.Connection, delta: RollupDelta) -> None:
    """Add a delta to the rollup tables (flows included), on the writer connection."""
    if delta.zone_hour:
        conn.executemany(
            "INSERT INTO web_zone_hour(day, hour, zone, visits, dwell_s, peak) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(day, zone, hour) DO UPDATE SET "
            "visits = visits + excluded.visits, dwell_s = dwell_s + excluded.dwell_s, "
            "peak = max(peak, excluded.peak)",
            [
                (day, hour, zone, int(v[0]), v[1], int(v[2]))
                for (day, hour, zone), v in delta.zone_hour.items()
            ],
        )
    if delta.dwell:
        conn.executemany(
            "INSERT INTO web_dwell(day, zone, bucket, n) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(day, zone, bucket) DO UPDATE SET n = n + excluded.n",
            [(day, zone, bucket, n) for (day, zone, bucket), n in delta.dwell.items()],
        )
    if delta.kiosk:
        _apply_kiosk(conn, delta)
    if delta.visits:
        _apply_flows(conn, delta)


def _apply_kiosk(conn: sqlite3.Connection, delta: RollupDelta) -> None:
    # One narrow table per chart keeps each query to a few rows per day.
    by_artwork: dict[tuple[str, str], list[int]] = {}
    by_language: dict[tuple[str, str], list[int]] = {}
    for (day, artwork, language, action), n in delta.kiosk.items():
        if artwork:
            cell = by_artwork.setdefault((day, artwork), [0, 0])
            cell[0 if action == "view_artwork" else 1] += n
        lang_cell = by_language.setdefault((day, language), [0, 0])
        lang_cell[0] += n
        if action == "session_start":
            lang_cell[1] += n
    conn.executemany(
        "INSERT INTO web_kiosk_artwork(day, artwork, views, other) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(day, artwork) DO UPDATE SET views = views + excluded.views, "
        "other = other + excluded.other",
        [(d, a, v[0], v[1]) for (d, a), v in by_artwork.items()],
    )
    conn.executemany(
        "INSERT INTO web_kiosk_language(day, language, n, sessions) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(day, language) DO UPDATE SET n = n + excluded.n, "
        "sessions = sessions + excluded.sessions",
        [(d, lang, v[0], v[1]) for (d, lang), v in by_language.items()],
    )


def _apply_flows(conn: sqlite3.Connection, delta: RollupDelta) -> None:
    visitors = sorted({v.visitor for v in delta.visits})
    last: dict[str, Last] = {}
    for offset in range(0, len(visitors), 500):
        chunk = visitors[offset : offset + 500]
        marks = ",".join("?" * len(chunk))
        for visitor, zone, start, end, day in conn.execute(
            "SELECT visitor, zone, start, end_, day FROM web_flow_last "  # noqa: S608
            f"WHERE visitor IN ({marks})",
            chunk,
        ):
            last[visitor] = Last(zone, start, end, day)
    result = count_flows(last, delta.visits)
    if result.flows:
        # distinct pseudonyms per cell: the k-anonymity rule counts people, not moves
        # one statement per cell: its row count is how many of its movers are new to it
        by_cell: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = {}
        for mover in result.movers:
            by_cell.setdefault(mover[:3], []).append(mover)
        people: Counter[tuple[str, str, str]] = Counter()
        for cell, movers in by_cell.items():
            people[cell] = conn.executemany(
                "INSERT OR IGNORE INTO web_flow_seen(day, from_zone, to_zone, visitor) "
                "VALUES (?, ?, ?, ?)",
                movers,
            ).rowcount
        conn.executemany(
            "INSERT INTO web_flow(day, from_zone, to_zone, n, visitors) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(day, from_zone, to_zone) DO UPDATE SET n = n + excluded.n, "
            "visitors = visitors + excluded.visitors",
            [(d, a, b, n, people[(d, a, b)]) for (d, a, b), n in result.flows.items()],
        )
    if result.new_visitors:
        conn.executemany(
            "INSERT INTO web_day(day, visitors) VALUES (?, ?) "
            "ON CONFLICT(day) DO UPDATE SET visitors = visitors + excluded.visitors",
            list(result.new_visitors.items()),
        )
    conn.executemany(
        "INSERT INTO web_flow_last(visitor, zone, start, end_, day) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(visitor) DO UPDATE SET zone = excluded.zone, start = excluded.start, "
        "end_ = excluded.end_, day = excluded.day",
        [(k, v.zone, v.start, v.end, v.day) for k, v in result.last.items()],
    )
    # The flow memory keeps pseudonyms of the latest day only (they rotate daily).
    newest = max(v.day for v in delta.visits)
    conn.execute("DELETE FROM web_flow_last WHERE day < ?", (newest,))
    conn.execute("DELETE FROM web_flow_seen WHERE day < ?", (newest,))


def rollup_rows(
    conn: sqlite3.Connection, rows: Sequence[_HasEvent], tz: tzinfo | None = None
) -> None:
    """The ingest hook's body: count committed events into the rollups."""
    delta = accumulate_all(((row.event, row.zone) for row in rows), tz)
    if not delta.is_empty():
        apply_delta(conn, delta)


def rollup_events(
    conn: sqlite3.Connection,
    events: Iterable[tuple[Event, str | None]],
    tz: tzinfo | None = None,
) -> None:
    """Count many events at once (bulk build, benchmarks); same result as the hook."""
    delta = accumulate_all(events, tz)
    if not delta.is_empty():
        apply_delta(conn, delta)


def clear_rollups(conn: sqlite3.Connection) -> None:
    """Empty every rollup table (before a rebuild from the event log)."""
    tables = ("web_zone_hour", "web_dwell", "web_kiosk_artwork", "web_kiosk_language",
              "web_flow", "web_day")
    for table in (*tables, "web_flow_last", "web_flow_seen"):
        conn.execute(f"DELETE FROM {table}")  # noqa: S608
