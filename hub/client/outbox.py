"""The device's durable outbox: events wait in SQLite (WAL) until the hub acknowledged them.

Bounded by an ``OutboxBound``: when full, the oldest events are dropped to make room, the
``dropped`` counter is persisted and a warning logged. Methods are blocking (an fsync per
commit); call them from a worker thread in asyncio code (``asyncio.to_thread``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.client.events import Event, encode_event, utc_now
from hub.client.policies import OutboxBound
from hub.client.wire import OutboxStats

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One waiting event: its id and its JSON as it will be sent."""

    id: str
    body: bytes


class Outbox:
    """``Outbox(state / "outbox.db")``: add, next_batch, ack; survives ``kill -9``."""

    def __init__(self, path: Path, bound: OutboxBound | None = None) -> None:
        self.path = Path(path)
        self.bound = bound or OutboxBound()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS outbox ("
            "seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body BLOB NOT NULL, "
            "added TEXT NOT NULL)"
        )
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS outbox_meta (key TEXT PRIMARY KEY, value INTEGER)"
        )

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, events: Iterable[Event]) -> int:
        """Keep events until acknowledged; returns how many old events were dropped to fit."""
        bodies = [(e.id, encode_event(e)) for e in events]
        return self.add_raw(bodies)

    def add_raw(self, items: Sequence[tuple[str, bytes]]) -> int:
        """Like ``add`` with events already encoded as (id, JSON bytes)."""
        if not items:
            return 0
        kept = list(items)[-self.bound.to_keep(len(items)) :]
        added = utc_now().isoformat().replace("+00:00", "Z")
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                stored = int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])
                drop = min(stored, self.bound.to_drop(stored, len(kept)))
                if drop:
                    conn.execute(
                        "DELETE FROM outbox WHERE seq IN "
                        "(SELECT seq FROM outbox ORDER BY seq LIMIT ?)",
                        (drop,),
                    )
                conn.executemany(
                    "INSERT INTO outbox(id, body, added) VALUES (?, ?, ?) "
                    "ON CONFLICT(id) DO NOTHING",
                    [(i, b, added) for i, b in kept],
                )
                dropped = drop + len(items) - len(kept)
                if dropped:
                    conn.execute(
                        "INSERT INTO outbox_meta(key, value) VALUES ('dropped', ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
                        (dropped,),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        if dropped:
            log.warning("outbox full: dropped %d oldest events", dropped)
        return dropped

    def next_batch(self, n: int) -> list[OutboxItem]:
        """The ``n`` oldest waiting events (they stay until ``ack``)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, body FROM outbox ORDER BY seq LIMIT ?", (n,)
            ).fetchall()
        return [OutboxItem(row[0], bytes(row[1])) for row in rows]

    def ack(self, ids: Iterable[str]) -> int:
        """Forget events the hub acknowledged (accepted, duplicate or rejected)."""
        keys = [(i,) for i in ids]
        if not keys:
            return 0
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = conn.executemany("DELETE FROM outbox WHERE id = ?", keys)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return int(cursor.rowcount)

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM outbox").fetchone()[0])

    @property
    def dropped(self) -> int:
        """Events dropped since the outbox was created because it was full."""
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM outbox_meta WHERE key = 'dropped'"
            ).fetchone()
        return int(row[0]) if row else 0

    def stats(self) -> OutboxStats:
        """Waiting and dropped counts, and when the oldest waiting event was added."""
        with self._lock:
            pending, oldest = self._conn.execute(
                "SELECT count(*), min(added) FROM outbox"
            ).fetchone()
        return OutboxStats(pending=int(pending), dropped=self.dropped, oldest=oldest)
