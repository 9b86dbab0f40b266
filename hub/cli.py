"""``cimaise hub``: run the hub, and its admin subcommands (pair, devices, export)."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from typing import Any

import click

from cimaise.cli_options import config_option, log_level_option
from cimaise.log import setup_logging
from cimaise.settings import Settings, load_settings
from hub.client.events import EVENT_TYPES

# Hub subcommands that live beside the part they serve, loaded only when named.
PART_COMMANDS: dict[str, str] = {
    "sync": "hub.sync.cli:sync",
    "admin": "hub.web.cli:admin",
    "labels": "hub.labels.cli:labels",
}


class HubGroup(click.Group):
    """The hub's commands plus those of its parts (sync, admin, labels), loaded when named."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *PART_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        target = PART_COMMANDS.get(cmd_name)
        if command is not None or target is None:
            return command
        module_name, _, attribute = target.partition(":")
        found = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(found, click.Command)
        return found


@click.group(cls=HubGroup, invoke_without_command=True)
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the hub's SQLite files.",
)
@click.option(
    "--content",
    type=click.Path(file_okay=False, path_type=Path),
    help="Content bundle folder (default: the demo exhibition).",
)
@click.option(
    "--host", help="Address to listen on (default 127.0.0.1; 0.0.0.0 for the gallery network)."
)
@click.option("--port", type=int, help="Port to listen on (default 8080).")
@click.option("--site", help="Site id devices match when they discover hubs.")
@click.option(
    "--zeroconf/--no-zeroconf", default=None, help="Announce the hub by zeroconf (default on)."
)
@config_option
@log_level_option
@click.pass_context
def hub(
    ctx: click.Context,
    /,
    config: Path | None,
    log_level: str | None,
    **flags: Any,
) -> None:
    """Run the hub: device API, mobile guide, technician page, cloud sync."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings(config, log_level=log_level, **flags)
    setup_logging(settings.log_level, "hub")
    from hub.server import run_hub

    run_hub(settings)


data_option = click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The hub's data folder (default: as the hub, CIMAISE_DATA or the config file).",
)


def _settings(config: Path | None, data: Path | None) -> Settings:
    settings = load_settings(config, data=data)
    setup_logging("WARNING", "hub")
    return settings


@hub.command()
@data_option
@click.option("--kind", type=click.Choice(["kiosk", "beacon"]), required=True)
@click.option("--name", required=True, help="The device's name, as technicians will see it.")
@click.option("--zone", default=None, help="The zone the device stands in.")
@config_option
def pair(config: Path | None, data: Path | None, kind: str, name: str, zone: str | None) -> None:
    """Print a single-use pairing code for a new device (valid 10 minutes)."""
    from hub.devices.registry import DeviceRegistry
    from hub.store import Store

    settings = _settings(config, data)

    async def make() -> Any:
        async with Store(settings.data / "hub.db") as store:
            return await DeviceRegistry(store).create_pairing_code(kind, name, zone)  # type: ignore[arg-type]

    code = asyncio.run(make())
    click.echo(code.code)
    click.echo(
        f"Pairing code for {kind} '{name}'"
        + (f" in zone {zone}" if zone else "")
        + f": valid until {code.expires:%H:%M} UTC, once. "
        f"Start the device with --pair {code.code}.",
        err=True,
    )


@hub.command()
@data_option
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked devices.")
@config_option
def devices(config: Path | None, data: Path | None, include_revoked: bool) -> None:
    """List the hub's devices: name, kind, zone, last seen, version."""
    from hub.devices.registry import DEVICE_COLUMNS, device_from_row
    from hub.devices.table import devices_table
    from hub.export import open_readonly

    settings = _settings(config, data)
    conn = open_readonly(settings.data / "hub.db")
    try:
        where = "" if include_revoked else "WHERE revoked IS NULL"
        rows = conn.execute(
            f"SELECT {DEVICE_COLUMNS} FROM devices {where} ORDER BY kind, name"  # noqa: S608
        ).fetchall()
    finally:
        conn.close()
    click.echo(devices_table([device_from_row(r) for r in rows]))


@hub.command()
@data_option
@click.option("--since", default=None, help="Only events at or after this RFC 3339 time.")
@click.option(
    "--type",
    "types",
    type=click.Choice(EVENT_TYPES),
    multiple=True,
    help="Only events of this type (repeatable).",
)
@config_option
def export(
    config: Path | None, data: Path | None, since: str | None, types: tuple[str, ...]
) -> None:
    """Write stored events as NDJSON to stdout, in storage order."""
    from hub.export import export_lines, open_readonly, parse_since

    settings = _settings(config, data)
    conn = open_readonly(settings.data / "hub.db")
    out = sys.stdout.buffer
    try:
        for line in export_lines(conn, since=parse_since(since) if since else None, types=types):
            out.write(line)
        out.flush()
    except BrokenPipeError:  # e.g. piped into head
        pass
    finally:
        conn.close()
