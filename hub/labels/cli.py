"""``cimaise hub labels``: print the artwork labels of the published content as a PDF."""

from __future__ import annotations

from pathlib import Path

import click

from cimaise.cli_options import config_option, log_level_option
from cimaise.extras import require_extra
from cimaise.log import setup_logging
from cimaise.settings import Settings, load_settings
from hub.client.manifest import PublicPack
from hub.labels.links import Label, label_links, public_base_url


def load_public_pack(settings: Settings) -> PublicPack:
    """The public pack of the hub's content bundle, published as the hub publishes it.

    Derivatives go to the hub's own cache folder in its data folder, so a running
    hub and this command share them. Raises ContentError for a bad bundle.
    """
    from hub.content.library import ContentLibrary

    library = ContentLibrary(settings.content, settings.data / "content-cache")
    return library.reload().public_pack


def write_labels(
    settings: Settings, out: Path, base_url: str | None = None, language: str | None = None
) -> list[Label]:
    """Write the label sheet of every published artwork to ``out``; returns the labels."""
    require_extra("hub labels", "labels", "reportlab")
    from hub.labels.sheet import render_sheet

    pack = load_public_pack(settings)
    base = base_url or public_base_url(settings.host, settings.port)
    labels = label_links(pack, base, language)
    title = pack.exhibition.title.get(language or pack.exhibition.default_language, "")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render_sheet(labels, title=f"Labels: {title}".strip()))
    return labels


@click.command()
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="The hub's data folder (its derivative cache is reused).",
)
@click.option(
    "--content",
    type=click.Path(file_okay=False, path_type=Path),
    help="Content bundle folder (default: the hub's, or the demo exhibition).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="PDF file to write.",
)
@click.option(
    "--base-url",
    default=None,
    help="The hub's address as visitors' phones reach it (default: from --host and --port).",
)
@click.option("--host", default=None, help="The hub's host setting, for the default base URL.")
@click.option("--port", type=int, default=None, help="The hub's port, for the default base URL.")
@click.option(
    "--language", default=None, help="Language of the label texts (default: the exhibition's)."
)
@config_option
@log_level_option
def labels(
    data: Path | None,
    content: Path | None,
    out: Path,
    base_url: str | None,
    host: str | None,
    port: int | None,
    language: str | None,
    config: Path | None,
    log_level: str | None,
) -> None:
    """Make printable artwork labels: QR codes and NFC records of their /b/ links."""
    settings = load_settings(
        config, data=data, content=content, host=host, port=port, log_level=log_level
    )
    setup_logging(settings.log_level, "hub")
    made = write_labels(settings, out, base_url, language)
    click.echo(f"wrote {len(made)} labels to {out}")
    for label in made:
        click.echo(f"  {label.artwork}: {label.url}")
