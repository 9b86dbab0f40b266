"""The desktop window's size: a portrait phone. Call before Kivy opens its window."""

from __future__ import annotations

PHONE_SIZE = (412, 915)  # a common Android phone in dp (e.g. Pixel 7)


def configure_window(width: int = PHONE_SIZE[0], height: int = PHONE_SIZE[1]) -> None:
    """Set Kivy's window size and title before any window module is imported."""
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "1")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0")
