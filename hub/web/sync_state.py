"""What the page shows of the cloud sync: off, or its state (backlog, last success, error)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.keys import SETTINGS
from hub.sync.worker import SYNC


def _short(value: Any) -> Any:
    return value[:19].replace("T", " ") if isinstance(value, str) else value


def sync_summary(app: web.Application) -> dict[str, Any]:
    """The sync state as plain values for the templates (``sync off`` without a cloud URL)."""
    settings = app[SETTINGS]
    worker = app.get(SYNC)
    status = worker.status.to_dict() if worker is not None else {}
    enabled = bool(settings.cloud_url) and bool(status.get("enabled", True))
    out: dict[str, Any] = {
        "enabled": enabled,
        "backlog": int(status.get("backlog", 0)),
        "failures": int(status.get("failures", 0)),
        "last_error": status.get("last_error"),
        "last_success": _short(status.get("last_success")),
        "next_try": _short(status.get("next_try")),
        "url": status.get("receiver") or settings.cloud_url,
        "halted": bool(status.get("halted", False)),
        "running": worker is not None,
    }
    out["failing"] = enabled and (out["failures"] > 0 or out["halted"])
    if not enabled:
        out["label"] = "off"
    elif out["failing"]:
        out["label"] = "failing"
    elif worker is None:
        out["label"] = "not running"
    else:
        out["label"] = "ok"
    return out


def trigger_sync(app: web.Application) -> bool:
    """Ask the sync worker to try now; False when sync is off or not running."""
    worker = app.get(SYNC)
    if not app[SETTINGS].cloud_url or worker is None:
        return False
    worker.wake()
    return True
