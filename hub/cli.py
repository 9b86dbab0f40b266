"""``cimaise hub``: run the hub, and its admin subcommands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cimaise.cli_options import config_option, log_level_option
from cimaise.log import setup_logging
from cimaise.settings import load_settings


@click.group(invoke_without_command=True)
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
