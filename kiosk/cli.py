"""``cimaise kiosk``: the touchscreen app."""

from __future__ import annotations

from pathlib import Path

import click

from cimaise.cli_options import config_option, device_options, log_level_option
from cimaise.extras import require_extra


@click.command()
@device_options
@click.option("--fullscreen", is_flag=True, help="Fill the screen (as on a gallery touchscreen).")
@config_option
@log_level_option
def kiosk(
    hub_url: str | None,
    pair_code: str | None,
    state: Path | None,
    fullscreen: bool,
    config: Path | None,
    log_level: str | None,
) -> None:
    """Run the kiosk: attract loop, artworks, languages, practical information."""
    require_extra("kiosk", "kiosk", "kivy")
    raise click.ClickException("the kiosk app is not built yet")
