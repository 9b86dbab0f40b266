"""The analytics page's queries, over the rollup tables only (never the raw event log).

Each query returns a :class:`Chart`: named columns and rows, which the page draws and
the CSV export writes as they are.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Final

from hub.web.rollup import DWELL_LABELS

CHARTS: Final = ("visitors", "dwell", "kiosk", "languages", "flows")


@dataclasses.dataclass(frozen=True, slots=True)
class Chart:
    """What one chart shows: a title, column names and rows (also its CSV export)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str | int | float, ...]]
    note: str = ""

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_csv_safe(v) for v in row])
        return out.getvalue()


def _csv_safe(value: str | int | float) -> str | int | float:
    # A cell starting with = + - @ runs as a formula in spreadsheets (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@dataclasses.dataclass(frozen=True, slots=True)
class DateRange:
    """Days from ``start`` to ``end``, both included (local days of the hub)."""

    start: date
    end: date

    @property
    def bounds(self) -> tuple[str, str]:
        return self.start.isoformat(), self.end.isoformat()


def visitors_by_hour(conn: sqlite3.Connection, days: DateRange) -> Chart:
    """Visits starting in each hour of the day, per zone, summed over the range."""
    rows = conn.execute(
        "SELECT hour, zone, sum(visits), max(peak) FROM web_zone_hour "
        "WHERE day BETWEEN ? AND ? GROUP BY hour, zone ORDER BY hour, zone",
        days.bounds,
    ).fetchall()
    return Chart(
        "visitors",
        "Visits per zone by hour of the day",
        ("hour", "zone", "visits", "peak_present"),
        [(int(h), str(z), int(v), int(p)) for h, z, v, p in rows],
    )


def dwell_distribution(conn: sqlite3.Connection, days: DateRange) -> Chart:
    """How long visits lasted, per zone, in the histogram's buckets."""
    rows = conn.execute(
        "SELECT zone, bucket, sum(n) FROM web_dwell WHERE day BETWEEN ? AND ? "
        "GROUP BY zone, bucket ORDER BY zone, bucket",
        days.bounds,
    ).fetchall()
    return Chart(
        "dwell",
        "Dwell time per zone",
        ("zone", "bucket", "dwell", "visits"),
        [(str(z), int(b), DWELL_LABELS[int(b)], int(n)) for z, b, n in rows],
    )


def kiosk_by_artwork(conn: sqlite3.Connection, days: DateRange) -> Chart:
    """Kiosk views of each artwork (``view_artwork``) and other actions on it."""
    rows = conn.execute(
        "SELECT artwork, sum(views), sum(other) FROM web_kiosk_artwork "
        "WHERE day BETWEEN ? AND ? GROUP BY artwork ORDER BY 2 DESC, artwork",
        days.bounds,
    ).fetchall()
    return Chart(
        "kiosk",
        "Kiosk use per artwork",
        ("artwork", "views", "other_actions"),
        [(str(a), int(v), int(o)) for a, v, o in rows],
    )


def kiosk_by_language(conn: sqlite3.Connection, days: DateRange) -> Chart:
    """Kiosk interactions per language (events that name one) and sessions started."""
    rows = conn.execute(
        "SELECT language, sum(n), sum(sessions) FROM web_kiosk_language "
        "WHERE day BETWEEN ? AND ? AND language != '' "
        "GROUP BY language ORDER BY 2 DESC, language",
        days.bounds,
    ).fetchall()
    return Chart(
        "languages",
        "Kiosk use per language",
        ("language", "interactions", "sessions_started"),
        [(str(lang), int(n), int(s)) for lang, n, s in rows],
    )


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def zone_flows(conn: sqlite3.Connection, days: DateRange, k: int) -> Chart:
    """Moves between zones over the range; pairs made by fewer than ``k`` visitors are hidden.

    Days the cloud sync has already counted (``sync_flow_days``) are read from its
    k-anonymous ``sync_flows`` (UTC days, cells below k already dropped, per hour); the
    other days (today, or every day when sync is off) from the page's own ``web_flow``
    rollup. Then the rule of the sync (``hub.sync.flows``) is applied to each (from, to)
    pair over the range: made by fewer than ``k`` distinct pseudonyms, it could single
    out a person, so it is dropped, not rounded.
    """
    totals: dict[tuple[str, str], list[int]] = {}
    own = (
        "SELECT from_zone, to_zone, sum(n), sum(visitors) FROM web_flow "
        "WHERE day BETWEEN ? AND ? {exclude}GROUP BY from_zone, to_zone"
    )
    exclude = ""
    if _has_table(conn, "sync_flow_days"):
        exclude = "AND day NOT IN (SELECT day FROM sync_flow_days) "
        for a, b, n, p in conn.execute(
            "SELECT from_zone, to_zone, sum(count), sum(visitors) FROM sync_flows "
            "WHERE day BETWEEN ? AND ? GROUP BY from_zone, to_zone",
            days.bounds,
        ):
            totals[(str(a), str(b))] = [int(n), int(p)]
    for a, b, n, p in conn.execute(own.format(exclude=exclude), days.bounds):
        cell = totals.setdefault((str(a), str(b)), [0, 0])
        cell[0] += int(n)
        cell[1] += int(p)
    ordered = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    shown = [(a, b, n, p) for (a, b), (n, p) in ordered if p >= k]
    hidden = len(ordered) - len(shown)
    note = (
        f"{hidden} pair(s) made by fewer than {k} visitors hidden (k-anonymity)."
        if hidden
        else ""
    )
    return Chart(
        "flows", "Moves between zones", ("from_zone", "to_zone", "moves", "visitors"), shown, note
    )


def chart(conn: sqlite3.Connection, name: str, days: DateRange, k: int) -> Chart:
    """One chart by name (``CHARTS``)."""
    if name == "visitors":
        return visitors_by_hour(conn, days)
    if name == "dwell":
        return dwell_distribution(conn, days)
    if name == "kiosk":
        return kiosk_by_artwork(conn, days)
    if name == "languages":
        return kiosk_by_language(conn, days)
    if name == "flows":
        return zone_flows(conn, days, k)
    raise KeyError(name)


@dataclasses.dataclass(frozen=True, slots=True)
class DayCounts:
    """The overview's numbers for one day."""

    visitors: int
    visits: int
    kiosk_sessions: int


def day_counts(conn: sqlite3.Connection, day: date) -> DayCounts:
    """Distinct visitors, visits and kiosk sessions of one day."""
    iso = day.isoformat()
    visitors = conn.execute("SELECT visitors FROM web_day WHERE day = ?", (iso,)).fetchone()
    visits = conn.execute(
        "SELECT coalesce(sum(visits), 0) FROM web_zone_hour WHERE day = ?", (iso,)
    ).fetchone()
    sessions = conn.execute(
        "SELECT coalesce(sum(sessions), 0) FROM web_kiosk_language WHERE day = ?",
        (iso,),
    ).fetchone()
    return DayCounts(int(visitors[0]) if visitors else 0, int(visits[0]), int(sessions[0]))
