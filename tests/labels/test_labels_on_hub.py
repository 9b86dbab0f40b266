"""Labels of the demo exhibition: every QR code leads, on a real hub, to its artwork's page."""

from __future__ import annotations

import html
from pathlib import Path

import aiohttp
from click.testing import CliRunner

from cimaise.settings import Settings, demo_content_dir
from hub.labels.cli import labels, write_labels
from hub.labels.ndef import parse_uri_record, uri_record
from tests.labels.test_sheet import decode_pdf_qr_codes
from tests.phone.conftest import hub_url, start_hub


async def test_each_label_qr_code_opens_the_guide_page_of_its_artwork(
    tmp_path: Path, content_cache: Path
) -> None:
    server = await start_hub(tmp_path / "hub", demo_content_dir(), content_cache)
    try:
        base = hub_url(server)
        settings = Settings(data=tmp_path / "hub", content=demo_content_dir())
        out = tmp_path / "labels.pdf"
        made = write_labels(settings, out, base_url=base)
        pages = decode_pdf_qr_codes(out, tmp_path)
        decoded = [url for page in pages for url in page]
        assert decoded == [label.url for label in made]
        assert len(decoded) == 12  # every published demo artwork has a label
        async with aiohttp.ClientSession() as http:
            for label, url in zip(made, decoded, strict=True):
                assert url.startswith(f"{base}/b/")
                async with http.get(url) as response:
                    assert response.status == 200
                    assert response.url.path == f"/guide/artworks/{label.artwork}"
                    page = html.unescape(await response.text())
                assert label.title in page
                # The NFC record names the same link.
                assert parse_uri_record(uri_record(url)).uri == url
    finally:
        await server.close()


def test_labels_command_writes_the_sheet(tmp_path: Path) -> None:
    out = tmp_path / "sheet.pdf"
    result = CliRunner().invoke(
        labels,
        [
            "--data",
            str(tmp_path / "hub"),
            "--content",
            str(demo_content_dir()),
            "--out",
            str(out),
            "--base-url",
            "http://gallery.local:8080",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "wrote 12 labels" in result.output
    assert "http://gallery.local:8080/b/t01" in result.output
    assert out.read_bytes().startswith(b"%PDF")
