"""The bleak adapter: BLE advertisements from the radio, handed to the core unchanged.

The only module that imports bleak. Its detection callback converts a ``BLEDevice``
and its ``AdvertisementData`` to an ``Advert`` and passes it on: no parsing, no IO.
Active scanning asks for scan responses (names, more service data); passive
scanning only listens (BlueZ's advertisement monitor, which needs "or patterns":
here the flags values every connectable or beacon advertisement carries).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Final

from bleak import BleakScanner
from bleak.args.bluez import BlueZScannerArgs, OrPattern
from bleak.assigned_numbers import AdvertisementDataType
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from beacon_agent.pipeline import Advert
from cimaise.errors import CimaiseError

_log = logging.getLogger(__name__)

#: flags values of LE advertisements (general discoverable, BR/EDR not supported, ...)
PASSIVE_PATTERNS: Final = [
    OrPattern(0, AdvertisementDataType.FLAGS, bytes([flags])) for flags in (0x02, 0x06, 0x1A)
]

AdvertSink = Callable[[Advert], None]


class ScannerError(CimaiseError):
    """Raised when scanning cannot start: no such adapter, adapter off, BlueZ not running."""


def advert_from_bleak(device: BLEDevice, data: AdvertisementData, now: float) -> Advert:
    """The core's view of one bleak advertisement."""
    return Advert(
        address=device.address,
        rssi=data.rssi,
        tx_power=data.tx_power,
        local_name=data.local_name,
        manufacturer_data=data.manufacturer_data,
        service_data=data.service_data,
        service_uuids=data.service_uuids,
        now=now,
    )


def make_detection_callback(
    sink: AdvertSink, clock: Callable[[], float] = time.time
) -> Callable[[BLEDevice, AdvertisementData], None]:
    """The callback given to ``BleakScanner``: convert, stamp with the clock, pass on."""

    def async_on_advertisement(device: BLEDevice, data: AdvertisementData) -> None:
        """Called by bleak in the event loop for every advertisement."""
        sink(advert_from_bleak(device, data, clock()))

    return async_on_advertisement


def scanner_args(adapter: str | None, passive: bool) -> BlueZScannerArgs:
    """BlueZ arguments: the adapter, every advertisement (not only the first), patterns."""
    args: BlueZScannerArgs = {"filters": {"Transport": "le", "DuplicateData": True}}
    if adapter:
        args["adapter"] = adapter
    if passive:
        args["or_patterns"] = list(PASSIVE_PATTERNS)
    return args


class Scanner:
    """``async with Scanner(sink): ...`` scans until the block ends."""

    def __init__(
        self,
        sink: AdvertSink,
        *,
        adapter: str | None = None,
        passive: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.callback = make_detection_callback(sink, clock)
        self._scanner = BleakScanner(
            detection_callback=self.callback,
            scanning_mode="passive" if passive else "active",
            bluez=scanner_args(adapter, passive),
        )
        self._mode = "passive" if passive else "active"
        self._adapter = adapter or "default adapter"

    async def __aenter__(self) -> Scanner:
        try:
            await self._scanner.start()
        except (BleakError, OSError, ValueError) as exc:
            raise ScannerError(f"cannot scan on {self._adapter}: {exc}") from exc
        _log.info("scanning (%s) on %s", self._mode, self._adapter)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._scanner.stop()
        _log.info("scanning stopped")
