"""``cimaise hub admin``: technician accounts of the web page, from the hub's shell."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from cimaise.errors import CimaiseError
from cimaise.settings import load_settings
from hub.client.events import utc_now
from hub.store import Store
from hub.store.migrations import apply_migrations
from hub.web.accounts import create_user, list_users, set_password
from hub.web.schema import COMPONENT, WEB_MIGRATIONS

T = TypeVar("T")

DB_NAME = "hub.db"


def run_on_store(data: Path, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``fn`` on the hub store in ``data`` (web tables brought up to date first)."""

    async def main() -> T:
        async with Store(data / DB_NAME) as store:
            await store.run_write(lambda c: apply_migrations(c, COMPONENT, WEB_MIGRATIONS))
            return await store.run_write(fn)

    return asyncio.run(main())


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        if not lines or not lines[0]:
            raise click.UsageError(f"{password_file} holds no password on its first line")
        return lines[0]
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt="Password again")
    return value


data_option = click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="The hub's data folder (default: as `cimaise hub`).",
)
user_option = click.option("--user", required=True, help="The technician's user name.")
password_file_option = click.option(
    "--password-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the password from the first line of this file instead of asking.",
)


def _data(data: Path | None) -> Path:
    return data if data is not None else load_settings().data


def _run(fn: Callable[[], None]) -> None:
    try:
        fn()
    except CimaiseError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def admin() -> None:
    """Technician accounts of the hub's web page."""


@admin.command("create")
@data_option
@user_option
@password_file_option
def create(data: Path | None, user: str, password_file: Path | None) -> None:
    """Make a technician account (asks for the password twice)."""
    folder = _data(data)
    password = _password(password_file)
    _run(lambda: run_on_store(folder, lambda c: create_user(c, user, password, utc_now())))
    click.echo(f"Account '{user}' created: log in at the hub's /admin/ page.")


@admin.command("set-password")
@data_option
@user_option
@password_file_option
def set_password_command(data: Path | None, user: str, password_file: Path | None) -> None:
    """Give an account a new password (ends its sessions)."""
    folder = _data(data)
    password = _password(password_file)
    _run(lambda: run_on_store(folder, lambda c: set_password(c, user, password, utc_now())))
    click.echo(f"Password of '{user}' changed.")


@admin.command("list")
@data_option
def list_command(data: Path | None) -> None:
    """List the technician accounts."""
    names = run_on_store(_data(data), list_users)
    for name in names:
        click.echo(name)
