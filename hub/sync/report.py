"""The sync's state read from a hub's database by another process (the CLI).

The running worker stores its state every few seconds (``sync_status``); the backlog
and the parked batches are counted live from the tables.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hub.sync import tables
from hub.sync.housekeeping import used_bytes

#: the worker is taken for running when its heartbeat is younger than this
ALIVE_WITHIN = timedelta(seconds=30)


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to a hub database that exists."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def status_report(path: Path, now: datetime) -> dict[str, Any]:
    """The stored state of the sync plus live counts; ``worker_running`` says if a hub runs."""
    with open_read_only(path) as conn:
        if not tables.has_sync_tables(conn):
            return {"worker_running": False, "never_ran": True}
        report: dict[str, Any] = dict(tables.load_status(conn) or {})
        events = tables.load_cursor(conn, "events")
        flows = tables.load_cursor(conn, "flows")
        report["backlog"] = conn.execute(
            "SELECT count(*) FROM events WHERE seq > ?", (events.position,)
        ).fetchone()[0]
        report["flow_backlog"] = conn.execute(
            "SELECT count(*) FROM sync_flows WHERE seq > ?", (flows.position,)
        ).fetchone()[0]
        report["in_flight"] = events.in_flight.batch if events.in_flight else None
        report["parked_batches"] = [
            {"batch": b, "first": f, "last": la, "status": st, "error": e, "parked": p}
            for b, f, la, st, e, p in conn.execute(
                "SELECT batch, first, last, status, error, parked FROM sync_parked ORDER BY first"
            )
        ]
        report["parked"] = len(report["parked_batches"])
        report["disk_used_bytes"] = used_bytes(conn)
    alive = report.get("alive")
    report["worker_running"] = (
        isinstance(alive, str) and now - datetime.fromisoformat(alive) < ALIVE_WITHIN
    )
    report["never_ran"] = False
    return report


def request_now(path: Path, now: datetime, parked: bool = False) -> int:
    """Ask the running hub's worker to try at once (a row it polls); returns the request id."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        request = tables.request_sync(conn, now.isoformat(), parked)
        conn.execute("COMMIT")
        return request
    finally:
        conn.close()


def request_handled(path: Path, request: int) -> bool:
    """True once the worker took the request."""
    with open_read_only(path) as conn:
        row = conn.execute("SELECT handled FROM sync_requests WHERE id = ?", (request,)).fetchone()
    return row is None or row[0] is not None
