"""Technician accounts: argon2 password hashes in ``web_users`` (no plain password kept).

Functions take the SQLite connection (the store's writer for changes, a reader for
checks); the clock is passed in.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hub.store.rows import rfc3339
from hub.web.errors import AccountError

MIN_PASSWORD_LENGTH: Final = 8
USER_PATTERN: Final = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")

_hasher = PasswordHasher()
# Verified when the user does not exist, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH: Final = _hasher.hash("cimaise-no-such-user")


def check_password_rules(password: str) -> None:
    """Raise AccountError when a new password is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


def create_user(conn: sqlite3.Connection, name: str, password: str, now: datetime) -> None:
    """Add a technician account; AccountError when the name is taken or invalid."""
    if not USER_PATTERN.match(name):
        raise AccountError("user names are 1-64 letters, digits or . _ @ -")
    check_password_rules(password)
    stamp = rfc3339(now)
    try:
        conn.execute(
            "INSERT INTO web_users(name, password_hash, created, password_changed) "
            "VALUES (?, ?, ?, ?)",
            (name, _hasher.hash(password), stamp, stamp),
        )
    except sqlite3.IntegrityError:
        raise AccountError(f"the user '{name}' exists already") from None


def verify_password(conn: sqlite3.Connection, name: str, password: str) -> bool:
    """Whether ``password`` is the user's; False for unknown users (after the same work)."""
    row = conn.execute("SELECT password_hash FROM web_users WHERE name = ?", (name,)).fetchone()
    stored = str(row[0]) if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return row is not None


def set_password(conn: sqlite3.Connection, name: str, password: str, now: datetime) -> None:
    """Replace a user's password and end all of their sessions."""
    check_password_rules(password)
    cursor = conn.execute(
        "UPDATE web_users SET password_hash = ?, password_changed = ? WHERE name = ?",
        (_hasher.hash(password), rfc3339(now), name),
    )
    if cursor.rowcount == 0:
        raise AccountError(f"no user '{name}'")
    conn.execute("DELETE FROM web_sessions WHERE user = ?", (name,))


def list_users(conn: sqlite3.Connection) -> list[str]:
    """Names of every account."""
    return [str(r[0]) for r in conn.execute("SELECT name FROM web_users ORDER BY name")]


def record_attempt(
    conn: sqlite3.Connection, name: str, ok: bool, reason: str | None, now: datetime
) -> None:
    """Keep a line of the login log (no password, no address); old lines are pruned."""
    conn.execute(
        "INSERT INTO web_login_attempts(ts, user, ok, reason) VALUES (?, ?, ?, ?)",
        (rfc3339(now), name[:64], int(ok), reason),
    )
    conn.execute(
        "DELETE FROM web_login_attempts WHERE rowid IN (SELECT rowid FROM web_login_attempts "
        "ORDER BY rowid DESC LIMIT -1 OFFSET 1000)"
    )
