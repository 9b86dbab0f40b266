"""Settings edited on the web page, kept in ``web_settings`` (key -> JSON value).

They overlay the hub's settings (defaults < TOML < environment < flags < this page)
when the hub starts (:func:`effective_settings`); ``site_name`` takes effect at once.
The cloud secret is stored but never shown back.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any, Final

from cimaise.settings import Settings
from hub.store.rows import rfc3339

#: settings the page may change, and the Settings field each overlays (None: page only)
EDITABLE: Final[dict[str, str | None]] = {
    "site_name": None,
    "cloud_url": "cloud_url",
    "cloud_secret": "cloud_secret",
    "privacy_mode": "privacy_mode",
    "k_anonymity": "k_anonymity",
    "event_retention_days": "event_retention_days",
    "pseudonym_retention_hours": "pseudonym_retention_hours",
}


def read_all(conn: sqlite3.Connection) -> dict[str, Any]:
    """Every stored setting (missing table: none)."""
    try:
        rows = conn.execute("SELECT key, value FROM web_settings").fetchall()
    except sqlite3.OperationalError:
        return {}
    return {str(k): json.loads(v) for k, v in rows if k in EDITABLE}


def write(conn: sqlite3.Connection, values: dict[str, Any], now: datetime) -> None:
    """Store settings (a value of None removes the key: back to the hub's own setting)."""
    for key, value in values.items():
        if key not in EDITABLE:
            raise KeyError(key)
        if value is None:
            conn.execute("DELETE FROM web_settings WHERE key = ?", (key,))
        else:
            conn.execute(
                "INSERT INTO web_settings(key, value, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                (key, json.dumps(value), rfc3339(now)),
            )


def effective_settings(settings: Settings, conn: sqlite3.Connection) -> Settings:
    """The hub's settings with the page's stored values on top (used at hub start)."""
    stored = read_all(conn)
    overlay = {EDITABLE[k]: v for k, v in stored.items() if EDITABLE.get(k)}
    return settings.with_overrides(**{k: v for k, v in overlay.items() if k is not None})
