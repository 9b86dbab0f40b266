"""Opening the store's SQLite connections, and which SQLite errors mean "cannot commit"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# SQLite primary result codes that mean "this store cannot commit now".
_UNAVAILABLE_CODES = {
    3: "permission denied",  # SQLITE_PERM
    5: "database is locked by another program",  # SQLITE_BUSY
    8: "the database is read-only",  # SQLITE_READONLY
    10: "disk I/O error",  # SQLITE_IOERR
    11: "the database file is corrupt",  # SQLITE_CORRUPT
    13: "the disk is full",  # SQLITE_FULL
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
    26: "the file is not a database",  # SQLITE_NOTADB
}


def unavailable_reason(error: BaseException) -> str | None:
    """Why an SQLite error means the store cannot commit, or None for other errors."""
    if isinstance(error, sqlite3.IntegrityError | sqlite3.ProgrammingError):
        return None
    if isinstance(error, sqlite3.DatabaseError):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _UNAVAILABLE_CODES:
            return f"{_UNAVAILABLE_CODES[code & 0xFF]} ({error})"
        text = str(error).lower()
        for word in ("full", "readonly", "read-only", "malformed", "disk i/o", "not a database"):
            if word in text:
                return str(error)
    return None


def connect(
    path: Path, *, max_bytes: int | None = None, journals_in_memory: bool = False
) -> sqlite3.Connection:
    """A connection with the store's PRAGMAs (WAL, synchronous=FULL, foreign keys).

    ``journals_in_memory`` (the ingest writer, whose transactions are bounded: a group of
    up to ``max_group_rows`` rows, or one request's batch): statement and savepoint
    journals stay in memory. Else SQLite creates, writes and deletes a temporary file for
    every group whose inserts change more than 64 KiB of pages it had before (measured:
    a third to two thirds of the groups; about 13 % of the writer's time).
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    if journals_in_memory:
        conn.execute("PRAGMA temp_store=MEMORY")
    if max_bytes is not None:
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        conn.execute(f"PRAGMA max_page_count={max(1, max_bytes // page_size)}")
    return conn
