"""Android's Wi-Fi multicast lock, held while zeroconf looks for the hub.

Android drops multicast packets (mDNS included) to save power unless an app holds
a ``WifiManager.MulticastLock``; it needs the CHANGE_WIFI_MULTICAST_STATE
permission. Elsewhere this does nothing. Written against the Android API through
pyjnius; not exercised here (no Android device on these machines).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)


@contextlib.contextmanager
def multicast_lock() -> Iterator[None]:
    """Hold the multicast lock for the block (Android), or nothing (elsewhere)."""
    from kivy.utils import platform

    if platform != "android":
        yield
        return
    lock: Any = None
    try:
        jnius = importlib.import_module("jnius")
        activity = jnius.autoclass("org.kivy.android.PythonActivity").mActivity
        context = jnius.autoclass("android.content.Context")
        wifi = activity.getApplicationContext().getSystemService(context.WIFI_SERVICE)
        lock = wifi.createMulticastLock("cimaise-guide-mdns")
        lock.setReferenceCounted(False)
        lock.acquire()
    except Exception as exc:  # the guide still works with a typed address
        log.warning("no multicast lock, zeroconf may not see the hub: %s", exc)
        lock = None
    try:
        yield
    finally:
        if lock is not None:
            lock.release()
