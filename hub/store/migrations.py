"""Schema migrations per component, tracked in ``schema_versions``.

Each component (``core``, ``sync``, ``web``...) owns its tables and an ordered list of
small functions; migration ``i`` (0-based) brings the component to version ``i + 1``.
Run them on the writer connection, e.g. ``await store.run_write(lambda c:
apply_migrations(c, "sync", MIGRATIONS))``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

Migration = Callable[[sqlite3.Connection], None]


def current_version(conn: sqlite3.Connection, component: str) -> int:
    """The schema version of a component (0 when it has none yet)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_versions ("
        "component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    row = conn.execute(
        "SELECT version FROM schema_versions WHERE component = ?", (component,)
    ).fetchone()
    return int(row[0]) if row else 0


def apply_migrations(
    conn: sqlite3.Connection, component: str, migrations: Sequence[Migration]
) -> int:
    """Apply the component's migrations not applied yet, each atomically; return the version.

    Works inside or outside a transaction: each migration runs in its own savepoint, so
    a failing one leaves the schema at the previous version and raises.
    """
    version = current_version(conn, component)
    if version > len(migrations):
        raise RuntimeError(
            f"schema of '{component}' is at version {version}, newer than this program "
            f"({len(migrations)}): upgrade Cimaise"
        )
    for number, migration in enumerate(migrations[version:], start=version + 1):
        conn.execute("SAVEPOINT migration")
        try:
            migration(conn)
            conn.execute(
                "INSERT INTO schema_versions(component, version) VALUES (?, ?) "
                "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                (component, number),
            )
        except BaseException:
            conn.execute("ROLLBACK TO migration")
            conn.execute("RELEASE migration")
            raise
        conn.execute("RELEASE migration")
        log.info("schema of %s migrated to version %d", component, number)
    return len(migrations)
