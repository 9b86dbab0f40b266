"""Typed keys of the hub's aiohttp application state (``request.app[KEY]``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from cimaise.settings import Settings

if TYPE_CHECKING:
    from hub.content.library import ContentLibrary
    from hub.devices.keyring import KeyRing
    from hub.devices.ratelimit import TokenBuckets
    from hub.devices.registry import DeviceRegistry
    from hub.metrics import HubMetrics
    from hub.store import Store

SETTINGS = web.AppKey("settings", Settings)
CONTENT: web.AppKey[ContentLibrary] = web.AppKey("content")
STORE: web.AppKey[Store] = web.AppKey("store")
DEVICES: web.AppKey[DeviceRegistry] = web.AppKey("devices")
KEYRING: web.AppKey[KeyRing] = web.AppKey("keyring")
METRICS: web.AppKey[HubMetrics] = web.AppKey("metrics")
PAIRING_LIMIT: web.AppKey[TokenBuckets] = web.AppKey("pairing_limit")
# per client address, for the token-less route of visitors' phones
PUBLIC_LIMIT: web.AppKey[TokenBuckets] = web.AppKey("public_limit")
HUB_ID = web.AppKey("hub_id", str)
