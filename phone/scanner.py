"""The bleak adapter: advertisements in, museum beacon sightings to the ranging core.

``ScanFeed.detection_callback`` is the one seam: bleak's ``BleakScanner`` calls it
on the phone (Android through bleak's python-for-android backend), and a recorded
trace replays through the very same callback with real ``BLEDevice`` /
``AdvertisementData`` objects on a desktop or in tests. The callback does no IO
and keeps nothing about devices that are not the museum's beacons.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from beacon_agent.trace import TraceRecord, read_trace
from phone.beacons import BeaconIndex
from phone.ranging import Ranging

log = logging.getLogger(__name__)


class ScanFeed:
    """Turns advertisements into ranging sightings; ``clock`` gives the time in seconds."""

    def __init__(self, index: BeaconIndex, ranging: Ranging, clock: Callable[[], float]) -> None:
        self.index = index
        self.ranging = ranging
        self.clock = clock
        self.heard = 0  # museum beacon sightings
        self.ignored = 0  # other advertisements (counted, nothing else kept)

    def detection_callback(self, device: BLEDevice, advertisement: AdvertisementData) -> None:
        """bleak's detection callback: match the payload to a museum beacon, or drop it."""
        beacon = self.index.match(advertisement.manufacturer_data, advertisement.service_data)
        if beacon is None:
            self.ignored += 1
            return
        self.heard += 1
        self.ranging.observe(beacon, advertisement.rssi, self.clock())


async def scan(feed: ScanFeed, stop: asyncio.Event) -> None:
    """Scan with bleak until ``stop`` is set (needs a Bluetooth adapter and permission)."""
    from bleak import BleakScanner

    from phone.permissions import async_request_ble_permissions

    if not await async_request_ble_permissions():
        return

    # Active scanning: Android delivers scan responses, some beacons put frames there.
    async with BleakScanner(detection_callback=feed.detection_callback, scanning_mode="active"):
        log.info("scanning for the museum's beacons")
        await stop.wait()


def to_bleak(record: TraceRecord) -> tuple[BLEDevice, AdvertisementData]:
    """A trace line as the real bleak objects a scanner would hand the callback."""
    manufacturer_data, service_data = record.payload()
    device = BLEDevice(record.address, record.local_name, None)
    advertisement = AdvertisementData(
        local_name=record.local_name,
        manufacturer_data=manufacturer_data,
        service_data=service_data,
        service_uuids=list(record.service_uuids),
        tx_power=record.tx_power,
        rssi=record.rssi,
        platform_data=(),
    )
    return device, advertisement


class TraceClock:
    """Trace time: seconds since the replay started, times ``speed``."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self.start = time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self.start) * self.speed


def feed_records(feed: ScanFeed, records: Iterable[TraceRecord]) -> int:
    """Push records through the detection callback at once (the clock decides `now`)."""
    count = 0
    for record in records:
        feed.detection_callback(*to_bleak(record))
        count += 1
    return count


async def replay(feed: ScanFeed, path: Path, clock: TraceClock, stop: asyncio.Event) -> None:
    """Replay a trace file in (scaled) real time through the detection callback."""
    for record in read_trace(path):
        wait = record.t - clock()
        if wait > 0:
            try:
                await asyncio.wait_for(stop.wait(), wait / clock.speed)
                return
            except TimeoutError:
                pass
        if stop.is_set():
            return
        feed.detection_callback(*to_bleak(record))
    log.info("trace %s replayed: %d beacon sightings", path.name, feed.heard)
