"""``cimaise phone``: the visitor's guide app (a desktop window outside Android)."""

from __future__ import annotations

from pathlib import Path

import click

from cimaise.cli_options import config_option, log_level_option
from cimaise.extras import require_extra


@click.command()
@click.option("--hub", "hub_url", default=None, help="Hub URL (default: find it by zeroconf).")
@click.option(
    "--state",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the cached public pack.",
)
@config_option
@log_level_option
def phone(
    hub_url: str | None, state: Path | None, config: Path | None, log_level: str | None
) -> None:
    """Run the phone guide: shows the artwork nearest you, offline."""
    require_extra("phone", "phone", "kivy", "bleak")
    raise click.ClickException("the phone guide is not built yet")
