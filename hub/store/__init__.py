"""The hub's durable event store: SQLite in WAL mode, group commit in a writer process.

See ``docs/operations.md`` (store and crashes) and the store contract in the docs.
"""

from __future__ import annotations

from hub.store.rows import EventRow, IngestResult, rfc3339
from hub.store.store import Store

__all__ = ["EventRow", "IngestResult", "Store", "rfc3339"]
