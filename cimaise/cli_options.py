"""Flags shared by several programs, so they read the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML settings file (also CIMAISE_CONFIG).",
)
log_level_option = click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="Logging detail (default INFO).",
)


def device_options(func: F) -> F:
    """--hub, --pair, --state: how a device finds and joins its hub."""
    func = click.option(
        "--state",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder for the device's token, outbox and cache.",
    )(func)
    func = click.option(
        "--pair", "pair_code", default=None, help="Pairing code from the hub (first start only)."
    )(func)
    func = click.option(
        "--hub",
        "hub_url",
        default=None,
        help="Hub URL, e.g. http://hub.local:8080 (default: find it by zeroconf).",
    )(func)
    return func
