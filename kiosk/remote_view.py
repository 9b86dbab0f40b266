"""Remote view: what the window shows, as a small PNG for the technician's web page."""

from __future__ import annotations

import io


def window_png(max_width: int = 640) -> bytes:
    """Read the window's pixels (the last frame drawn) and return them scaled, as PNG."""
    from kivy.core.window import Window
    from kivy.graphics.opengl import GL_RGB, GL_UNSIGNED_BYTE, glReadPixels
    from PIL import Image  # only when a technician asks: not at start

    width, height = (int(v) for v in Window.size)
    data = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
    image = Image.frombytes("RGB", (width, height), data).transpose(
        Image.Transpose.FLIP_TOP_BOTTOM  # OpenGL rows run bottom to top
    )
    if width > max_width:
        image = image.resize((max_width, max(1, height * max_width // width)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
