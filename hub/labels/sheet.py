"""The label sheet: an A4 PDF of cut-out artwork labels (reportlab, QR codes by segno)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Final

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from hub.labels.links import Label
from hub.labels.ndef import compress_uri, uri_record

COLUMNS: Final = 2
ROWS: Final = 4
MARGIN: Final = 12 * mm
QR_SIZE: Final = 34 * mm

# DejaVu covers accents and most scripts; the PDF core fonts only cover Latin-1.
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _fonts() -> tuple[str, str, str]:
    regular, bold = _DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"
    mono = _DEJAVU / "DejaVuSansMono.ttf"
    if regular.exists() and bold.exists() and mono.exists():
        if "CimaiseSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("CimaiseSans", str(regular)))
            pdfmetrics.registerFont(TTFont("CimaiseSans-Bold", str(bold)))
            pdfmetrics.registerFont(TTFont("CimaiseMono", str(mono)))
        return "CimaiseSans", "CimaiseSans-Bold", "CimaiseMono"
    return "Helvetica", "Helvetica-Bold", "Courier"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and pdfmetrics.stringWidth(candidate, font, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _clipped(text: str, font: str, size: float, width: float, most: int) -> list[str]:
    """At most ``most`` wrapped lines, the last one ending in an ellipsis when text was cut."""
    lines = _wrap(text, font, size, width)
    if len(lines) <= most:
        return lines
    last = lines[most - 1]
    while last and pdfmetrics.stringWidth(last + " …", font, size) > width:
        last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
    return [*lines[: most - 1], last + " …"]


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (sharp at any print size), quiet zone included."""
    qr = segno.make(data, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=4))
    module = size / len(rows)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                path.rect(x + c * module, y + size - (r + 1) * module, module, module)
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_label(
    canvas: Canvas, label: Label, x: float, y: float, w: float, h: float, fonts: tuple[str, ...]
) -> None:
    regular, bold, mono = fonts
    pad = 5 * mm
    canvas.setStrokeColorRGB(0.75, 0.75, 0.75)
    canvas.setDash(2, 2)
    canvas.rect(x, y, w, h, stroke=1, fill=0)  # cutting line
    canvas.setDash()
    text_w = w - QR_SIZE - 3 * pad
    top = y + h - pad
    canvas.setFillColorRGB(0, 0, 0)
    cursor = top - 14
    for line in _clipped(label.title, bold, 14, text_w, 3):
        canvas.setFont(bold, 14)
        canvas.drawString(x + pad, cursor, line)
        cursor -= 17
    cursor -= 2
    for text, size in ((label.artist, 11), (label.date, 10), (label.medium, 9)):
        for line in _clipped(text, regular, size, text_w, 2):
            canvas.setFont(regular, size)
            canvas.drawString(x + pad, cursor, line)
            cursor -= size + 3
    _draw_qr(canvas, label.url, x + w - QR_SIZE - pad, top - QR_SIZE, QR_SIZE)
    canvas.setFont(regular, 7)
    canvas.drawCentredString(
        x + w - QR_SIZE / 2 - pad, top - QR_SIZE - 8, "Scan or tap for the guide"
    )
    # What a technician writes on the NFC tag stuck under the label.
    record = uri_record(label.url)
    compressed = compress_uri(label.url)
    canvas.setFont(mono, 6)
    canvas.setFillColorRGB(0.3, 0.3, 0.3)
    chars = int((w - 2 * pad) / pdfmetrics.stringWidth("0", mono, 6))
    lines = [
        *_chunks(label.url, chars),
        "NFC tag: NDEF URI record, stored as",
        *_chunks(compressed.describe(), chars),
        *_hex_lines(record, chars),
    ]
    yy = y + pad + 7 * (len(lines) - 1)
    for line in lines:
        canvas.drawString(x + pad, yy, line)
        yy -= 7


def _chunks(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def _hex_lines(data: bytes, width: int) -> list[str]:
    per_line = max(1, (width + 1) // 3)
    return [
        " ".join(f"{b:02x}" for b in data[i : i + per_line]) for i in range(0, len(data), per_line)
    ]


def render_sheet(labels: list[Label], title: str = "Cimaise labels") -> bytes:
    """The PDF bytes: ``COLUMNS`` x ``ROWS`` labels per A4 page."""
    fonts = _fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True)
    canvas.setTitle(title)
    page_w, page_h = A4
    w = (page_w - 2 * MARGIN) / COLUMNS
    h = (page_h - 2 * MARGIN) / ROWS
    per_page = COLUMNS * ROWS
    for i, label in enumerate(labels):
        if i and i % per_page == 0:
            canvas.showPage()
        slot = i % per_page
        col, row = slot % COLUMNS, slot // COLUMNS
        x = MARGIN + col * w
        y = page_h - MARGIN - (row + 1) * h
        _draw_label(canvas, label, x, y, w, h, fonts)
    if not labels:
        canvas.setFont(fonts[0], 12)
        canvas.drawString(MARGIN, page_h - MARGIN, "No published artwork to label.")
    canvas.showPage()
    canvas.save()
    return out.getvalue()
