"""Android runtime permissions for beacon ranging, asked after the welcome screen explains them.

* ``BLUETOOTH_SCAN`` (Android 12+) to receive advertisements, declared *without*
  ``neverForLocation``: Android filters beacon frames (iBeacon, Eddystone) out of
  the results of apps that declare it.
* ``ACCESS_FINE_LOCATION``: required for BLE scan results before Android 12, and
  with ``BLUETOOTH_SCAN`` whenever the app derives a place from them (ranging does).
* ``BLUETOOTH_CONNECT`` (Android 12+): bleak's Android backend reads the adapter's
  state through APIs that need it; the guide never connects to a device.

Never ``ACCESS_BACKGROUND_LOCATION``: the guide ranges only while it is on screen.
"""

from __future__ import annotations

import asyncio
import importlib
import logging

log = logging.getLogger(__name__)

PERMISSIONS = ("BLUETOOTH_SCAN", "BLUETOOTH_CONNECT", "ACCESS_FINE_LOCATION")


async def async_request_ble_permissions() -> bool:
    """Ask Android for the ranging permissions; True when granted (always True elsewhere)."""
    from kivy.utils import platform

    if platform != "android":
        return True
    android_permissions = importlib.import_module("android.permissions")
    loop = asyncio.get_running_loop()
    answered: asyncio.Future[bool] = loop.create_future()

    def on_answer(permissions: list[str], grants: list[bool]) -> None:
        # Called on Android's UI thread: hand the answer to the event loop.
        def settle() -> None:
            if not answered.done():
                answered.set_result(all(grants))

        loop.call_soon_threadsafe(settle)

    names = [getattr(android_permissions.Permission, p) for p in PERMISSIONS]
    android_permissions.request_permissions(names, on_answer)
    granted = await answered
    if not granted:
        log.info("ranging permissions refused: the guide works by browsing and QR codes")
    return granted
