"""``cimaise kiosk``: the touchscreen app."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import click

from cimaise.cli_options import config_option, device_options, log_level_option
from cimaise.extras import require_extra
from cimaise.log import setup_logging
from cimaise.settings import default_state_dir, load_settings


@click.command()
@device_options
@click.option("--fullscreen", is_flag=True, help="Fill the screen (as on a gallery touchscreen).")
@click.option("--name", default=None, help="Name shown on the hub (default: kiosk-HOSTNAME).")
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=5.0),
    default=None,
    help="Seconds without a touch before the session ends and the attract loop returns.",
)
@config_option
@log_level_option
def kiosk(
    hub_url: str | None,
    pair_code: str | None,
    state: Path | None,
    fullscreen: bool,
    name: str | None,
    idle_timeout: float | None,
    config: Path | None,
    log_level: str | None,
) -> None:
    """Run the kiosk: attract loop, artworks, languages, practical information.

    \b
    Without --hub it finds the hub by zeroconf. On first start, give --pair CODE
    (from 'cimaise hub pair --kind kiosk') or type the code on the technician screen.
    With no hub it shows the exhibition it cached last.
    """
    require_extra("kiosk", "kiosk", "kivy")  # before anything imports Kivy
    settings = load_settings(config, hub_url=hub_url, state=state, log_level=log_level)
    setup_logging(settings.log_level, "kiosk")
    from kiosk.runner import KioskOptions, run_kiosk

    options = KioskOptions(
        state=settings.state or default_state_dir("kiosk"),
        hub_url=settings.hub_url,
        pair_code=pair_code,
        fullscreen=fullscreen,
        discovery_interfaces=(
            [settings.discovery_interface] if settings.discovery_interface else None
        ),
    )
    if name:
        options = dataclasses.replace(options, name=name)
    if idle_timeout:
        options = dataclasses.replace(options, idle_timeout_s=idle_timeout)
    asyncio.run(run_kiosk(options))
