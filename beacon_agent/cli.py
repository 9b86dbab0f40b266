"""``cimaise beacon``: the BLE beacon agent."""

from __future__ import annotations

from pathlib import Path

import click

from cimaise.cli_options import config_option, device_options, log_level_option
from cimaise.extras import require_extra


@click.command()
@device_options
@config_option
@log_level_option
def beacon(
    hub_url: str | None,
    pair_code: str | None,
    state: Path | None,
    config: Path | None,
    log_level: str | None,
) -> None:
    """Run the beacon agent: count visitors in a zone anonymously, advertise as a beacon."""
    require_extra("beacon", "beacon", "bleak")
    raise click.ClickException("the beacon agent is not built yet")
