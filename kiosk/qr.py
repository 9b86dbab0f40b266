"""The "take it home" QR code as PNG bytes: segno draws it, the widget only shows it.

No Kivy here: a plain function from a link to an image, tested on its own.
"""

from __future__ import annotations

import io

import segno

Rgb = tuple[int, int, int]

# Dark modules on a light square: what phone cameras read best, even in a dim room.
DARK: Rgb = (27, 25, 23)
LIGHT: Rgb = (237, 230, 214)


def qr_png(url: str, *, dark: Rgb = DARK, light: Rgb = LIGHT, scale: int = 6) -> bytes:
    """A QR code of ``url`` as a PNG, with the four-module quiet zone phones need."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=4, dark=dark, light=light)
    return out.getvalue()
