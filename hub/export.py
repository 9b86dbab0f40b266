"""Export stored events as NDJSON for the data team (``cimaise hub export``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import msgspec

from cimaise.errors import ConfigError
from hub.store import rfc3339

_decoder = msgspec.json.Decoder(dict[str, object])
_encoder = msgspec.json.Encoder()


def open_readonly(db: Path) -> sqlite3.Connection:
    """A read-only connection to a hub's store (ConfigError when there is none)."""
    if not db.exists():
        raise ConfigError(f"no hub store at {db}: is --data the hub's data folder?")
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    conn.execute("PRAGMA query_only=ON")
    return conn


def parse_since(text: str) -> str:
    """An RFC 3339 time (or a date) as the store writes times (UTC, microseconds)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--since {text!r} is not an RFC 3339 time or date") from None
    if moment.tzinfo is None:
        raise ConfigError(f"--since {text!r} needs a time zone (e.g. 2026-11-27T10:00:00Z)")
    return rfc3339(moment)


def export_lines(
    conn: sqlite3.Connection, *, since: str | None = None, types: Sequence[str] = ()
) -> Iterator[bytes]:
    """One JSON line per stored event, in storage order, with the hub's stamps added.

    Each line is the event as the device sent it, plus ``device_id``, ``site``, ``zone``
    and ``received`` (stamped by the hub) and ``seq`` (storage order).
    """
    clauses: list[str] = []
    params: list[object] = []
    if since is not None:
        clauses.append("ts >= ?")
        params.append(since)
    if types:
        clauses.append(f"type IN ({', '.join('?' for _ in types)})")
        params.extend(types)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    query = (
        "SELECT seq, received, device_id, site, zone, body FROM events "  # noqa: S608
        f"{where} ORDER BY seq"
    )
    for seq, received, device_id, site, zone, body in conn.execute(query, params):
        record = _decoder.decode(body)
        record.update(seq=seq, received=received, device_id=device_id, site=site, zone=zone)
        yield _encoder.encode(record) + b"\n"
