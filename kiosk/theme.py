"""The kiosk's two palettes and its text sizes; the .kv rules read them through the app."""

from __future__ import annotations

from typing import Final

Color = tuple[float, float, float, float]

# A warm dark gallery: paintings stand out, nothing glares in a dim room.
CALM: Final[dict[str, Color]] = {
    "bg": (0.105, 0.098, 0.09, 1),
    "bar": (0.13, 0.122, 0.112, 1),
    "card": (0.17, 0.16, 0.148, 1),
    "fg": (0.93, 0.9, 0.84, 1),
    "muted": (0.66, 0.63, 0.58, 1),
    "accent": (0.8, 0.66, 0.42, 1),
    "line": (0.3, 0.28, 0.25, 1),
}
# Black, white and yellow, for visitors who need the strongest contrast.
HIGH_CONTRAST: Final[dict[str, Color]] = {
    "bg": (0, 0, 0, 1),
    "bar": (0, 0, 0, 1),
    "card": (0.1, 0.1, 0.1, 1),
    "fg": (1, 1, 1, 1),
    "muted": (1, 1, 1, 1),
    "accent": (1, 0.86, 0.1, 1),
    "line": (1, 1, 1, 1),
}

LARGE_TEXT_SCALE: Final = 1.3
