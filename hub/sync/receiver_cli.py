"""``cimaise receiver``: the reference cloud receiver of the batch protocol."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cimaise.cli_options import log_level_option
from cimaise.log import setup_logging


@click.command()
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for received batches (receiver.db).",
)
@click.option(
    "--secret",
    envvar="CIMAISE_CLOUD_SECRET",
    help="Shared secret that signs batches (as the hub's CIMAISE_CLOUD_SECRET).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8090, show_default=True, help="Port to listen on.")
@click.option(
    "--window",
    type=float,
    default=300.0,
    show_default=True,
    help="Accepted clock difference with the hub, in seconds.",
)
@click.option(
    "--export",
    is_flag=True,
    help="Write every stored record as NDJSON to stdout, then exit.",
)
@log_level_option
def receiver(
    data: Path,
    secret: str | None,
    host: str,
    port: int,
    window: float,
    export: bool,
    log_level: str | None,
) -> None:
    """Receive the hub's signed batches and store each once (the protocol's reference)."""
    if export:
        from hub.sync.receiver import read_records

        if not (data / "receiver.db").exists():
            raise click.ClickException(f"no receiver.db in {data}")
        out = sys.stdout
        for _, line in read_records(data):
            out.write(line + "\n")
        return
    if not secret:
        raise click.UsageError("--secret (or CIMAISE_CLOUD_SECRET) is required to receive")
    setup_logging(log_level or "INFO", "receiver")
    from aiohttp import web

    from hub.sync.receiver import create_receiver_app

    app = create_receiver_app(data, secret, window_s=window)
    print(f"Cimaise receiver: http://{host}:{port}/ -> {data / 'receiver.db'}", flush=True)
    web.run_app(app, host=host, port=port, print=None)
