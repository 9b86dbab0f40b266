"""The scanner seam: real bleak objects through the callback the scanner uses, and a real
bleak scanner started and stopped against the fake BlueZ."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from beacon_agent.advertiser import Advertiser, eddystone_url_content, ibeacon_content
from beacon_agent.frames import EDDYSTONE_UUID, EddystoneUrl, IBeacon, encode_ibeacon
from beacon_agent.pipeline import Advert, AgentCore
from beacon_agent.pseudonym import PseudonymKey, pseudonym_of
from beacon_agent.scanner import (
    PASSIVE_PATTERNS,
    Scanner,
    ScannerError,
    make_detection_callback,
    scanner_args,
)
from beacon_agent.tracker import TrackerConfig
from hub.client.events import Visit
from hub.client.manifest import Beacon, IBeaconId

T0 = 1_800_000_000.0
MUSEUM_UUID = "c1a15e00-7a1e-4e5a-9c1a-15e000000001"
TAG = Beacon(id="t01", kind="fixed", ibeacon=IBeaconId(uuid=MUSEUM_UUID, major=1, minor=1))


def generate_ble_device(address: str, name: str | None = None) -> BLEDevice:
    """A real BLEDevice, as bleak's BlueZ backend makes them."""
    return BLEDevice(address, name, {"path": f"/org/bluez/hci0/dev_{address.replace(':', '_')}"})


def generate_advertisement_data(**kwargs: Any) -> AdvertisementData:
    """A real AdvertisementData with defaults for what the test does not care about."""
    defaults: dict[str, Any] = {
        "local_name": None,
        "manufacturer_data": {},
        "service_data": {},
        "service_uuids": [],
        "tx_power": None,
        "rssi": -127,
        "platform_data": ((),),
    }
    defaults.update(kwargs)
    return AdvertisementData(**defaults)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def test_phone_advertisements_through_the_callback_make_a_visit() -> None:
    core = AgentCore(TrackerConfig(zone="zone-a", min_enter_s=3, min_exit_s=5), [TAG])
    core.set_key(PseudonymKey(secret=b"s" * 32, key_id="k"), T0)
    clock = Clock()
    callback = make_detection_callback(core.feed_advert, clock)
    phone = generate_ble_device("5A:11:22:33:44:55")
    for i in range(60):
        clock.now = T0 + i
        callback(
            phone,
            generate_advertisement_data(
                manufacturer_data={0x004C: bytes.fromhex("10065b1d8a1f3c68")}, rssi=-58
            ),
        )
    core.finish(T0 + 100)
    visits = [e for e in core.events() if isinstance(e, Visit)]
    assert len(visits) == 1
    assert visits[0].visitor == pseudonym_of(b"s" * 32, "5A:11:22:33:44:55")
    assert visits[0].samples == 60


def test_fixed_tag_through_the_callback_is_health_not_a_visitor() -> None:
    core = AgentCore(TrackerConfig(zone="zone-a", min_enter_s=0), [TAG])
    core.set_key(PseudonymKey(secret=b"s" * 32, key_id="k"), T0)
    clock = Clock()
    callback = make_detection_callback(core.feed_advert, clock)
    tag = generate_ble_device("C0:00:00:00:00:01")
    frame = encode_ibeacon(IBeacon(MUSEUM_UUID.replace("-", ""), 1, 1, -62))
    tlm = bytes.fromhex("20000bb81900000004d20000a8c0")
    for i in range(30):
        clock.now = T0 + i
        callback(tag, generate_advertisement_data(manufacturer_data={0x004C: frame}, rssi=-50))
        callback(
            tag,
            generate_advertisement_data(
                service_data={EDDYSTONE_UUID: tlm}, service_uuids=[EDDYSTONE_UUID], rssi=-50
            ),
        )
    core.finish(T0 + 60)
    assert [e for e in core.events() if isinstance(e, Visit)] == []
    (health,) = core.beacon_health()
    assert (health.beacon_id, health.battery_mv, health.temperature_c) == ("t01", 3000, 25.0)
    assert health.last_seen == T0 + 29
    assert core.stats.visitor_samples == 0


def test_callback_passes_every_field_unchanged() -> None:
    got: list[Advert] = []
    callback = make_detection_callback(got.append, lambda: 42.0)
    callback(
        generate_ble_device("5A:00:00:00:00:09", "phone"),
        generate_advertisement_data(
            local_name="phone",
            tx_power=7,
            rssi=-71,
            service_uuids=["fe2c"],
            service_data={"fe2c": b"\x01"},
        ),
    )
    assert got == [
        Advert("5A:00:00:00:00:09", -71, 7, "phone", {}, {"fe2c": b"\x01"}, ["fe2c"], 42.0)
    ]


def test_passive_scanning_asks_bluez_for_every_advertisement_with_patterns() -> None:
    args = scanner_args("hci1", passive=True)
    assert args["adapter"] == "hci1"
    assert args["or_patterns"] == PASSIVE_PATTERNS
    assert args["filters"]["DuplicateData"] is True
    assert "or_patterns" not in scanner_args(None, passive=False)


async def test_bleak_scanner_starts_hears_and_stops_on_the_fake_bluez(fake_bluez: str) -> None:
    """The other adapter advertises; the agent's bleak scanner on hci0 hears it."""
    heard: list[Advert] = []
    url = EddystoneUrl(url="https://hub.example.org/b/a01", tx_power=-18)
    async with (
        Advertiser([eddystone_url_content(url)], "hci1"),
        Scanner(heard.append, adapter="hci0"),
    ):
        deadline = time.monotonic() + 10
        while not heard and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    assert heard, "nothing heard"
    core = AgentCore(TrackerConfig(zone="zone-a"), [])
    classified = core.classify(heard[0].manufacturer_data, heard[0].service_data)
    assert classified[0] != 0  # a beacon, not a visitor
    assert heard[0].service_data[EDDYSTONE_UUID].startswith(b"\x10\xee\x03hub.example")
    _ = ibeacon_content  # the iBeacon advertisement is checked in test_advertiser.py


async def test_scanning_on_a_missing_adapter_is_a_clear_error(fake_bluez: str) -> None:
    with pytest.raises(ScannerError, match="cannot scan on hci7: adapter 'hci7' not found"):
        async with Scanner(lambda advert: None, adapter="hci7"):
            pass


async def test_passive_scanning_without_bluez_monitor_support_says_what_is_needed(
    fake_bluez: str,
) -> None:
    # bluezoo, like BlueZ without --experimental, has no advertisement monitor
    with pytest.raises(ScannerError, match=r"cannot scan on hci0: passive scanning .*BlueZ"):
        async with Scanner(lambda advert: None, adapter="hci0", passive=True):
            pass
