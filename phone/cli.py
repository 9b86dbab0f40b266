"""``cimaise phone``: the visitor's guide app (a desktop window outside Android)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import click

from cimaise.cli_options import config_option, log_level_option
from cimaise.extras import require_extra
from cimaise.log import setup_logging
from cimaise.settings import default_state_dir, load_settings


@click.command()
@click.option(
    "--hub",
    "hub_url",
    default=None,
    help="Hub URL, or any URL on it such as the entrance QR code's (default: zeroconf).",
)
@click.option(
    "--state",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the cached public pack and the visitor's settings.",
)
@click.option(
    "--replay",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Feed a recorded BLE trace (JSON Lines) instead of scanning.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    help="Replay speed (2 = twice as fast).",
)
@click.option("--scan/--no-scan", default=True, help="Scan for beacons with bleak.")
@config_option
@log_level_option
def phone(
    hub_url: str | None,
    state: Path | None,
    replay: Path | None,
    speed: float,
    scan: bool,
    config: Path | None,
    log_level: str | None,
) -> None:
    """Run the phone guide: shows the artwork nearest you, offline."""
    require_extra("phone", "phone", "kivy", "bleak")
    settings = load_settings(config, hub_url=hub_url, state=state, log_level=log_level)
    setup_logging(settings.log_level, "phone")
    from phone.window import configure_window

    configure_window()
    from phone.app import PhoneApp
    from phone.scanner import TraceClock

    state_dir = settings.state or default_state_dir("phone")
    state_dir.mkdir(parents=True, exist_ok=True)
    app = PhoneApp(
        state_dir,
        clock=TraceClock(speed) if replay is not None else time.monotonic,
        hub_url=settings.hub_url,
        replay=replay,
        scan=scan and replay is None,
        discovery_interfaces=(
            [settings.discovery_interface] if settings.discovery_interface else None
        ),
    )
    asyncio.run(app.async_run(async_lib="asyncio"))
