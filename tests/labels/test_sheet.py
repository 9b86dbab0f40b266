"""The label sheet PDF: every label's QR code decodes to its artwork's link."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image
from pyzbar import pyzbar

from hub.labels.links import label_links, public_base_url
from hub.labels.sheet import COLUMNS, ROWS, render_sheet
from tests.labels.packs import hand_pack


def decode_pdf_qr_codes(pdf: Path, tmp: Path) -> list[list[str]]:
    """The QR payloads on each page, read from a 150 dpi raster of the PDF."""
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp / "page")], check=True)
    pages = []
    for png in sorted(tmp.glob("page-*.png")):
        with Image.open(png) as img:
            codes = pyzbar.decode(img, symbols=[pyzbar.ZBarSymbol.QRCODE])
        # reading order: top to bottom, left to right
        codes.sort(key=lambda c: (c.rect.top // 50, c.rect.left))
        pages.append([c.data.decode() for c in codes])
    return pages


def test_links_use_the_beacon_short_link_or_the_guide_page() -> None:
    labels = label_links(hand_pack(3), "http://hub.local:8080/")
    assert [label.url for label in labels] == [
        "http://hub.local:8080/b/t0",
        "http://hub.local:8080/guide/artworks/art-1",
        "http://hub.local:8080/b/t2",
    ]
    assert labels[0].title.startswith("Étude n° 0")
    assert label_links(hand_pack(1), "http://h", "fr")[0].title == "Étude 0"


def test_base_url_from_host_and_port() -> None:
    assert public_base_url("127.0.0.1", 8080) == "http://127.0.0.1:8080"
    assert public_base_url("::1", 80) == "http://[::1]"
    assert public_base_url("0.0.0.0", 8080).endswith(".local:8080")


def test_every_qr_code_on_the_sheet_decodes_to_its_label_link(tmp_path: Path) -> None:
    n = COLUMNS * ROWS + 3  # more than one page
    labels = label_links(hand_pack(n), "http://127.0.0.1:8080")
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(render_sheet(labels))
    pages = decode_pdf_qr_codes(pdf, tmp_path)
    assert len(pages) == 2
    assert [url for page in pages for url in page] == [label.url for label in labels]


def test_sheet_text_names_title_artist_and_the_nfc_record(tmp_path: Path) -> None:
    labels = label_links(hand_pack(2), "http://127.0.0.1:8080")
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(render_sheet(labels))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Étude n° 0" in text and "Artist 1" in text and "1910" in text
    assert "0x03 (http://) + 127.0.0.1:8080/b/t0" in text
    # the record bytes, as a technician types them into an NFC writer app
    assert "d1 01 14 55 03" in text
