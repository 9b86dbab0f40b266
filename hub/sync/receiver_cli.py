"""``cimaise receiver``: the reference cloud receiver of the batch protocol."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for received batches.",
)
@click.option(
    "--secret",
    required=True,
    help="Shared secret that signs batches (as the hub's CIMAISE_CLOUD_SECRET).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8090, show_default=True, help="Port to listen on.")
def receiver(data: Path, secret: str, host: str, port: int) -> None:
    """Receive the hub's signed batches and store each once (the protocol's reference)."""
    raise click.ClickException("the reference receiver is not built yet")
