"""Analytics rollups, the SQLite part: counting groups of events into the rollup tables.

The rollup follower (``hub.web.follower``) counts each chunk of the event log after its
cursor off the writer (:func:`read_chunk`), then writes the counts and moves the cursor
in one transaction (:func:`apply_chunk`), so a committed event is counted exactly once
(a duplicate is never stored, never counted).
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable
from datetime import tzinfo
from typing import NamedTuple

import msgspec

from hub.web.rollup import (
    Countable,
    Last,
    Record,
    RollupDelta,
    accumulate_all,
    count_flows,
    record_decoder,
    records_decoder,
)

log = logging.getLogger(__name__)


def apply_delta(
    conn: sqlite3.Connection, delta: RollupDelta, memory: FlowMemory | None = None
) -> FlowChanges:
    """Add a delta to the rollup tables (flows included), on the writer connection.

    ``memory`` is the flow memory as committed (read from the table when None); the
    changes returned are for :meth:`FlowMemory.update` once this transaction commits.
    """
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
        return _apply_flows(conn, delta, memory if memory is not None else FlowMemory.load(conn))
    return NO_CHANGES


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


class FlowMemory:
    """The flow counter's memory: the latest visit of each pseudonym of the current day.

    Kept in memory by the follower (rebuilt from ``web_flow_memory`` at start) and
    persisted as an append-only log, so that writing it touches the end of one table
    instead of a random page per pseudonym. Change it only after the transaction that
    wrote the log has committed (:meth:`update`).
    """

    __slots__ = ("last", "oldest_day")

    def __init__(self, last: dict[str, Last] | None = None) -> None:
        self.last: dict[str, Last] = dict(last or {})
        self.oldest_day: str | None = min((v.day for v in self.last.values()), default=None)

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> FlowMemory:
        """The memory as ``web_flow_memory`` holds it (later rows win)."""
        last = {
            visitor: Last(zone, start, end, day)
            for visitor, zone, start, end, day in conn.execute(
                "SELECT visitor, zone, start, end_, day FROM web_flow_memory ORDER BY id"
            )
        }
        return cls(last)

    def compact(self, conn: sqlite3.Connection) -> None:
        """Rewrite the log with one row per pseudonym (at start, on the writer)."""
        conn.execute("DELETE FROM web_flow_memory")
        conn.executemany(
            "INSERT INTO web_flow_memory(visitor, zone, start, end_, day) VALUES (?, ?, ?, ?, ?)",
            [(k, v.zone, v.start, v.end, v.day) for k, v in self.last.items()],
        )

    def update(self, changes: FlowChanges) -> None:
        """Take the changes of a committed group."""
        self.last.update(changes.last)
        for day in (v.day for v in changes.last.values()):
            if self.oldest_day is None or day < self.oldest_day:
                self.oldest_day = day
        newest, oldest = changes.newest, self.oldest_day
        if newest is not None and oldest is not None and oldest < newest:
            self.last = {k: v for k, v in self.last.items() if v.day >= newest}
            self.oldest_day = min((v.day for v in self.last.values()), default=None)


class FlowChanges(NamedTuple):
    """What one group changed in the flow memory (applied after its commit)."""

    last: dict[str, Last]
    newest: str | None  # the group's newest visit day: memory of earlier days is dropped


NO_CHANGES = FlowChanges({}, None)


def _apply_flows(
    conn: sqlite3.Connection, delta: RollupDelta, memory: FlowMemory
) -> FlowChanges:
    known = memory.last
    last = {v.visitor: known[v.visitor] for v in delta.visits if v.visitor in known}
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
    # only the pseudonyms whose latest visit changed: an append at the end of the log
    changed = {k: v for k, v in result.last.items() if last.get(k) != v}
    conn.executemany(
        "INSERT INTO web_flow_memory(visitor, zone, start, end_, day) VALUES (?, ?, ?, ?, ?)",
        [(k, v.zone, v.start, v.end, v.day) for k, v in changed.items()],
    )
    # The flow memory keeps pseudonyms of the latest day only (they rotate daily).
    newest = max(v.day for v in delta.visits)
    oldest = min(
        (d for d in (memory.oldest_day, *(v.day for v in changed.values())) if d is not None),
        default=None,
    )
    if oldest is not None and oldest < newest:  # a new day: rare, a scan is fine
        conn.execute("DELETE FROM web_flow_memory WHERE day < ?", (newest,))
        conn.execute("DELETE FROM web_flow_seen WHERE day < ?", (newest,))
    return FlowChanges(changed, newest)


def rollup_events(
    conn: sqlite3.Connection,
    events: Iterable[tuple[Countable, str | None]],
    tz: tzinfo | None = None,
    memory: FlowMemory | None = None,
) -> FlowChanges:
    """Count a group of ``(event, stored zone)`` pairs into the rollups, on the writer.

    What the follower does with each chunk of the log, in one call (tests and benchmarks).
    With ``memory`` None the flow memory is read from its table.
    """
    delta = accumulate_all(events, tz)
    if delta.is_empty():
        return NO_CHANGES
    return apply_delta(conn, delta, memory)


class FollowResult(NamedTuple):
    """What one follower step did (returned by :func:`apply_chunk`, read after its commit)."""

    cursor: int  # the seq of the last event counted
    counted: int  # events read from the log (undecodable ones included)
    skipped: int  # events whose body could not be read
    changes: FlowChanges
    more: bool  # the log holds more events after ``cursor`` than this step read


def read_cursor(conn: sqlite3.Connection) -> int:
    """The seq of the last event counted into the rollups."""
    row = conn.execute("SELECT seq FROM web_rollup_cursor WHERE one = 1").fetchone()
    return int(row[0]) if row else 0


def _decode(bodies: list[str]) -> tuple[list[Record | None], int]:
    try:
        return list(records_decoder.decode("[" + ",".join(bodies) + "]")), 0
    except msgspec.DecodeError:
        pass
    out: list[Record | None] = []
    skipped = 0
    for body in bodies:
        try:
            out.append(record_decoder.decode(body))
        except msgspec.DecodeError as exc:
            out.append(None)
            skipped += 1
            log.warning("analytics: a stored event could not be read (%s); not counted", exc)
    return out, skipped


class Chunk(NamedTuple):
    """A chunk of the event log read and counted off the writer (:func:`read_chunk`)."""

    start: int  # the follower's cursor it was read after (checked against the stored one)
    last: int  # the seq of its last event (``start`` when the chunk is empty)
    counted: int  # events read (undecodable ones included)
    skipped: int  # events whose body could not be read
    delta: RollupDelta
    more: bool  # the log holds more events after ``last``


def read_chunk(conn: sqlite3.Connection, cursor: int, tz: tzinfo | None, limit: int) -> Chunk:
    """Read and count up to ``limit`` events after ``cursor`` (a read connection will do).

    The reading and counting, most of the follower's work, run here, off the single
    writer; :func:`apply_chunk` then writes the counts. Should the log's highest seq be
    below the cursor, the whole log was deleted since (retention) and SQLite reuses
    seqs: counting starts again at its beginning.
    """
    top = conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
    after = 0 if top < cursor else cursor
    if after != cursor:
        log.info("analytics: the event log restarted below the cursor; counting from its start")
    rows = conn.execute(
        "SELECT seq, zone, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
    ).fetchall()
    if not rows:
        return Chunk(cursor, after, 0, 0, RollupDelta(), more=False)
    records, skipped = _decode([r[2] for r in rows])
    delta = accumulate_all(
        ((rec, row[1]) for rec, row in zip(records, rows, strict=True) if rec is not None), tz
    )
    last = int(rows[-1][0])
    return Chunk(cursor, last, len(rows), skipped, delta, more=last < top)


def apply_chunk(conn: sqlite3.Connection, chunk: Chunk, memory: FlowMemory) -> FollowResult:
    """Write a chunk's counts and move the cursor past it, in the writer's transaction.

    The counts and the cursor commit together, so each event is counted exactly once. A
    chunk read after a cursor that has moved since is not applied (nothing counted).
    """
    stored = read_cursor(conn)
    if stored != chunk.start:
        return FollowResult(stored, 0, 0, NO_CHANGES, more=True)
    changes = apply_delta(conn, chunk.delta, memory)  # writes nothing for an empty delta
    if chunk.last != stored:
        conn.execute("UPDATE web_rollup_cursor SET seq = ? WHERE one = 1", (chunk.last,))
    return FollowResult(chunk.last, chunk.counted, chunk.skipped, changes, more=chunk.more)

