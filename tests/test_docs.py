"""Docs that cannot drift: every setting, command and event type is documented."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from cimaise.cli import SUBCOMMANDS, cli
from cimaise.settings import env_variable, settings_fields
from hub.client.events import EVENT_TYPES

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("field", settings_fields())
def test_every_setting_is_in_the_configuration_doc(field: str) -> None:
    text = (DOCS / "configuration.md").read_text()
    assert f"`{field}`" in text
    assert f"`{env_variable(field)}`" in text


def _command_paths() -> list[str]:
    ctx = click.Context(cli)
    paths: list[str] = []
    for name in SUBCOMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        paths.append(f"cimaise {name}")
        if isinstance(command, click.Group):
            paths.extend(f"cimaise {name} {sub}" for sub in command.list_commands(ctx))
    return paths


@pytest.mark.parametrize("path", _command_paths())
def test_every_command_is_in_the_cli_doc_with_help(path: str) -> None:
    assert f"`{path}" in (DOCS / "cli.md").read_text(), f"{path} missing from docs/cli.md"
    ctx = click.Context(cli)
    command: click.Command | None = cli
    for part in path.split()[1:]:
        assert isinstance(command, click.Group)
        command = command.get_command(ctx, part)
    assert command is not None and (command.help or command.short_help)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_type_is_in_the_event_reference(event_type: str) -> None:
    assert f"`{event_type}`" in (DOCS / "api.md").read_text()
