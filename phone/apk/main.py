"""Android entry point of the guide: buildozer packages this file as the app's main.py.

See docs/phone.md for the staging folder that puts it beside the packages it imports.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from pathlib import Path


def state_dir() -> Path:
    """The app's private storage on Android (the cached pack lives there)."""
    storage = importlib.import_module("android.storage")
    return Path(storage.app_storage_path()) / "cimaise"


def main() -> None:
    from phone.app import PhoneApp

    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # No --hub on a phone: the hub is found by zeroconf on the museum Wi-Fi.
    app = PhoneApp(folder, clock=time.monotonic, scan=True)
    asyncio.run(app.async_run(async_lib="asyncio"))


if __name__ == "__main__":
    main()
