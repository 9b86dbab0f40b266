"""Typed keys of the hub's aiohttp application state (``request.app[KEY]``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from cimaise.settings import Settings

if TYPE_CHECKING:
    from hub.content.library import ContentLibrary

SETTINGS = web.AppKey("settings", Settings)
CONTENT: web.AppKey[ContentLibrary] = web.AppKey("content")
