"""The ``cimaise`` command: one entry point, each program's subcommand loaded lazily.

Subcommands live beside the program they run (``hub/cli.py``, ``kiosk/cli.py``, ...);
they are imported only when named, so ``cimaise hub`` never imports Kivy or bleak.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from cimaise import __version__
from cimaise.errors import CimaiseError

# subcommand -> "module:attribute" of its click command
SUBCOMMANDS: dict[str, str] = {
    "hub": "hub.cli:hub",
    "kiosk": "kiosk.cli:kiosk",
    "beacon": "beacon_agent.cli:beacon",
    "phone": "phone.cli:phone",
    "receiver": "hub.sync.receiver_cli:receiver",
    "demo": "cimaise.demo:demo",
}


class CimaiseCommandError(click.ClickException):
    """A CimaiseError as the CLI shows it: one sentence, the error's exit code."""

    def __init__(self, error: CimaiseError) -> None:
        super().__init__(str(error))
        # ClickException declares exit_code as a class variable: set it per instance anyway.
        vars(self)["exit_code"] = error.exit_code


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CimaiseError as exc:
            raise CimaiseCommandError(exc) from None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cimaise")
def cli() -> None:
    """Cimaise: kiosks, beacon agents and a hub for a museum's galleries.

    \b
    Start with 'cimaise demo' to see a whole gallery on this machine.
    Each program has its own help: 'cimaise hub --help', 'cimaise kiosk --help', ...
    """


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="cimaise")
