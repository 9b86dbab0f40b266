"""The sync's state as the web page, ``/metrics`` and ``cimaise hub sync status`` show it."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any


@dataclasses.dataclass
class SyncStatus:
    """What the technician needs to know: is data leaving, how much waits, what went wrong."""

    enabled: bool = False
    mode: str = "anonymous"
    receiver: str | None = None  # scheme://host[:port] of the cloud URL, no path or secret
    backlog: int = 0  # events not delivered yet (parked ones excluded)
    flow_backlog: int = 0
    oldest_unsynced: str | None = None  # event time of the oldest waiting event
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    next_try: datetime | None = None
    failures: int = 0  # failed attempts in a row
    halted: bool = False  # stopped until someone acts (secret, URL)
    parked: int = 0  # batches set aside after a permanent refusal
    sent_batches: int = 0
    sent_records: int = 0
    disk_used_bytes: int = 0
    disk_budget_bytes: int = 0
    budget_exceeded: bool = False
    pseudonyms_purged: int = 0
    events_deleted: int = 0
    alive: datetime | None = None  # the worker's last heartbeat

    @property
    def healthy(self) -> bool:
        """True when sync is off or its last attempt succeeded."""
        if not self.enabled:
            return True
        return not self.halted and self.failures == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: datetimes as RFC 3339 strings."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            out[field.name] = value.isoformat() if isinstance(value, datetime) else value
        out["healthy"] = self.healthy
        return out


def from_dict(data: dict[str, Any]) -> SyncStatus:
    """A status read back from its stored JSON."""
    known = {f.name: f for f in dataclasses.fields(SyncStatus)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known:
            continue
        if known[name].type == "datetime | None" and isinstance(value, str):
            value = datetime.fromisoformat(value)
        values[name] = value
    return SyncStatus(**values)
