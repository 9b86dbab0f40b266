"""Server-side sessions of logged-in technicians, and their CSRF tokens.

The browser holds only a random session id (cookie); the table keeps its SHA-256, the
user, the synchronizer CSRF token every form carries, and the expiry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import sqlite3
from datetime import datetime, timedelta
from typing import Final

from hub.store.rows import rfc3339

COOKIE: Final = "cimaise_session"
LIFETIME: Final = timedelta(hours=12)


@dataclasses.dataclass(frozen=True, slots=True)
class Session:
    """A live session: who, and the CSRF token its forms must carry."""

    user: str
    csrf: str
    expires: str

    def csrf_ok(self, token: str | None) -> bool:
        """Constant-time check of a submitted CSRF token."""
        return token is not None and hmac.compare_digest(token.encode(), self.csrf.encode())


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def new_session(conn: sqlite3.Connection, user: str, now: datetime) -> tuple[str, Session]:
    """Start a session; returns the id for the cookie (stored only as a hash)."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = rfc3339(now + LIFETIME)
    conn.execute(
        "INSERT INTO web_sessions(id_hash, user, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
        (_digest(session_id), user, csrf, rfc3339(now), expires),
    )
    conn.execute("DELETE FROM web_sessions WHERE expires < ?", (rfc3339(now),))
    return session_id, Session(user, csrf, expires)


def find_session(conn: sqlite3.Connection, session_id: str, now: datetime) -> Session | None:
    """The live session of a cookie value, or None (unknown or expired)."""
    if not session_id or len(session_id) > 128:
        return None
    row = conn.execute(
        "SELECT user, csrf, expires FROM web_sessions WHERE id_hash = ? AND expires > ?",
        (_digest(session_id), rfc3339(now)),
    ).fetchone()
    return Session(str(row[0]), str(row[1]), str(row[2])) if row else None


def end_session(conn: sqlite3.Connection, session_id: str) -> None:
    """Log out: forget the session."""
    conn.execute("DELETE FROM web_sessions WHERE id_hash = ?", (_digest(session_id),))
