"""``cimaise hub sync status|now``: the cloud sync from the command line.

``now`` reaches a running hub through its database: it adds a row to ``sync_requests``
that the hub's worker polls every few seconds (it then retries at once, even after a
halt, and with ``--parked`` sends the parked batches again), and waits for the next
attempt's outcome. When no hub runs (no recent heartbeat of the worker), ``now`` runs
the sync itself on the same database until the backlog is sent or an attempt fails.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from cimaise.cli_options import config_option
from cimaise.settings import Settings, load_settings
from hub.client.events import utc_now

data_option = click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The hub's data folder (default: as the hub).",
)


def _database(settings: Settings) -> Path:
    path = settings.data / "hub.db"
    if not path.exists():
        raise click.ClickException(f"no hub database in {settings.data} (has the hub run?)")
    return path


def _ago(value: str | None, now: datetime) -> str:
    if not value:
        return "never"
    seconds = (now - datetime.fromisoformat(value)).total_seconds()
    if seconds < 0:
        return f"{value} (in {-seconds:.0f} s)"
    return f"{value} ({seconds:.0f} s ago)"


def format_report(report: dict[str, Any], settings: Settings, now: datetime) -> str:
    """The status as a few lines for a technician."""
    if report.get("never_ran"):
        return "sync: the hub has not run its sync worker on this database yet"
    on = bool(settings.cloud_url)
    lines = [
        f"sync: {'on' if on else 'off'} ({settings.privacy_mode})"
        + (f" -> {report.get('receiver') or settings.cloud_url}" if on else ""),
        f"hub running: {'yes' if report['worker_running'] else 'no'}",
        f"backlog: {report['backlog']} events, {report['flow_backlog']} flow counts"
        + (f" (oldest {report['oldest_unsynced']})" if report.get("oldest_unsynced") else ""),
        f"last success: {_ago(report.get('last_success'), now)}",
    ]
    if report.get("last_error"):
        lines.append(
            f"last error: {report['last_error']} ({_ago(report.get('last_error_at'), now)})"
        )
    if report.get("halted"):
        lines.append("halted: yes (fix the cloud settings, then 'cimaise hub sync now')")
    if report.get("next_try"):
        lines.append(f"next try: {_ago(report['next_try'], now)}")
    lines.append(f"parked batches: {report['parked']}")
    for parked in report["parked_batches"]:
        lines.append(f"  {parked['batch']}: {parked['error']} (parked {parked['parked']})")
    budget = settings.disk_budget_mb
    used = report["disk_used_bytes"] / 2**20
    lines.append(
        f"disk: {used:.1f} MB used of a {budget} MB budget"
        + (" (EXCEEDED: unsynced events are kept)" if used > budget else "")
    )
    return "\n".join(lines)


@click.group()
def sync() -> None:
    """Cloud sync: its state, or send now."""


@sync.command()
@data_option
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
def status(data: Path | None, config: Path | None, as_json: bool) -> None:
    """Show the sync's backlog, last success, last error, next try and parked batches."""
    from hub.sync.report import status_report

    settings = load_settings(config, data=data)
    now = utc_now()
    report = status_report(_database(settings), now)
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        click.echo(format_report(report, settings, now))


@sync.command()
@data_option
@config_option
@click.option(
    "--wait", type=float, default=60.0, show_default=True, help="Seconds to wait for the outcome."
)
@click.option(
    "--parked", is_flag=True, help="Also send the parked batches again (after a receiver fix)."
)
def now(data: Path | None, config: Path | None, wait: float, parked: bool) -> None:
    """Try to sync at once (through the running hub, or here when no hub runs)."""
    from hub.sync.report import request_handled, request_now, status_report

    settings = load_settings(config, data=data)
    if not settings.cloud_url:
        raise click.ClickException("sync is off: set cloud_url (CIMAISE_CLOUD_URL) first")
    path = _database(settings)
    report = status_report(path, utc_now())
    if report.get("worker_running"):
        if not report.get("enabled"):
            raise click.ClickException(
                "the running hub has sync off: set cloud_url in its settings and restart it"
            )
        request = request_now(path, utc_now(), parked)
        click.echo("asked the running hub to sync now")
        deadline = time.monotonic() + wait
        while not request_handled(path, request):
            if time.monotonic() > deadline:
                raise click.ClickException("the hub did not take the request in time")
            time.sleep(0.2)
        before = report.get("last_attempt")
        while time.monotonic() < deadline:
            report = status_report(path, utc_now())
            if report.get("last_attempt") != before or report["backlog"] == 0:
                break
            time.sleep(0.2)
    else:
        click.echo("no hub is running: syncing from here")
        asyncio.run(_sync_here(settings, parked))
        report = status_report(path, utc_now())
    click.echo(format_report(report, settings, utc_now()))
    if report.get("halted") or (report["backlog"] and report.get("failures")):
        raise SystemExit(1)


async def _sync_here(settings: Settings, parked: bool) -> None:
    from hub.store import Store
    from hub.sync.worker import SyncWorker

    async with Store(settings.data / "hub.db") as store:
        worker = SyncWorker()
        await worker.start(store, settings)
        try:
            if parked:
                await worker.retry_parked()
            await worker.drain()
        finally:
            await worker.stop()
