"""Advertising through BlueZ's LEAdvertisingManager1, against bluezoo on a private bus."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from beacon_agent.advertiser import (
    ADVERTISEMENT_IFACE,
    PATH_PREFIX,
    Advertiser,
    AdvertisingError,
    eddystone_url_content,
    ibeacon_content,
)
from beacon_agent.frames import EDDYSTONE_UUID, EddystoneUrl, IBeacon

UUID = "c1a15e007a1e4e5a9c1a15e000000001"
FRAME = IBeacon(uuid=UUID, major=100, minor=1, measured_power=-59)
URL = EddystoneUrl(url="https://hub.example.org/b/a01", tx_power=-18)


async def call(
    bus: MessageBus, dest: str, path: str, iface: str, member: str, sig: str, body: list[Any]
) -> list[Any]:
    reply = await bus.call(
        Message(
            destination=dest, path=path, interface=iface, member=member, signature=sig, body=body
        )
    )
    assert reply is not None
    assert reply.message_type != MessageType.ERROR, reply.body
    return list(reply.body)


async def adapter_prop(bus: MessageBus, adapter: str, iface: str, name: str) -> Any:
    (value,) = await call(
        bus,
        "org.bluez",
        f"/org/bluez/{adapter}",
        "org.freedesktop.DBus.Properties",
        "Get",
        "ss",
        [iface, name],
    )
    return value.value


async def test_registers_the_exact_ibeacon_and_eddystone_url_advertisements(
    fake_bluez: str,
) -> None:
    observer = await MessageBus(bus_type=BusType.SYSTEM).connect()
    try:
        assert await adapter_prop(observer, "hci0", "org.bluez.Adapter1", "Powered") is False
        advertiser = Advertiser([ibeacon_content(FRAME), eddystone_url_content(URL)], "hci0")
        async with advertiser:
            # the adapter was off: the advertiser powered it on
            assert await adapter_prop(observer, "hci0", "org.bluez.Adapter1", "Powered") is True
            active = await adapter_prop(
                observer, "hci0", "org.bluez.LEAdvertisingManager1", "ActiveInstances"
            )
            assert active == 2
            assert advertiser._bus is not None
            agent = advertiser._bus.unique_name
            assert agent is not None
            # What BlueZ read from us (the same GetAll it made on registration):
            (ibeacon,) = await call(
                observer,
                agent,
                f"{PATH_PREFIX}0",
                "org.freedesktop.DBus.Properties",
                "GetAll",
                "s",
                [ADVERTISEMENT_IFACE],
            )
            assert ibeacon["Type"].value == "broadcast"
            assert ibeacon["ManufacturerData"].signature == "a{qv}"
            mfg = {k: v.value for k, v in ibeacon["ManufacturerData"].value.items()}
            assert mfg == {0x004C: bytes.fromhex("0215" + UUID + "0064" + "0001" + "c5")}
            assert ibeacon["ServiceData"].value == {}
            assert ibeacon["Discoverable"].value is True
            (url,) = await call(
                observer,
                agent,
                f"{PATH_PREFIX}1",
                "org.freedesktop.DBus.Properties",
                "GetAll",
                "s",
                [ADVERTISEMENT_IFACE],
            )
            svc = {k: v.value for k, v in url["ServiceData"].value.items()}
            # 0x10 URL frame, -18 dBm, scheme 3 (https://), "hub.example" ".org/" "b/a01"
            assert svc == {EDDYSTONE_UUID: bytes.fromhex("10ee03") + b"hub.example\x01b/a01"}
            assert url["ServiceUUIDs"].value == [EDDYSTONE_UUID]
            assert url["ManufacturerData"].value == {}
        active = await adapter_prop(
            observer, "hci0", "org.bluez.LEAdvertisingManager1", "ActiveInstances"
        )
        assert active == 0
    finally:
        observer.disconnect()
    log = Path(fake_bluez).read_text()
    assert log.count("Registering advertisement") == 2
    assert log.count("Removing advertisement") == 2


async def test_another_adapter_discovers_the_eddystone_advertisement(fake_bluez: str) -> None:
    observer = await MessageBus(bus_type=BusType.SYSTEM).connect()
    try:
        await call(
            observer,
            "org.bluez",
            "/org/bluez/hci1",
            "org.freedesktop.DBus.Properties",
            "Set",
            "ssv",
            ["org.bluez.Adapter1", "Powered", Variant("b", True)],
        )
        async with Advertiser([eddystone_url_content(URL)], "hci0"):
            await call(
                observer,
                "org.bluez",
                "/org/bluez/hci1",
                "org.bluez.Adapter1",
                "StartDiscovery",
                "",
                [],
            )
            try:
                deadline = time.monotonic() + 10
                found: dict[str, Any] = {}
                while not found:
                    (objects,) = await call(
                        observer,
                        "org.bluez",
                        "/",
                        "org.freedesktop.DBus.ObjectManager",
                        "GetManagedObjects",
                        "",
                        [],
                    )
                    for path, ifaces in objects.items():
                        dev = ifaces.get("org.bluez.Device1")
                        if path.startswith("/org/bluez/hci1/") and dev is not None:
                            found = dev
                    assert time.monotonic() < deadline, "the advertisement was not discovered"
                    await asyncio.sleep(0.2)
            finally:
                await call(
                    observer,
                    "org.bluez",
                    "/org/bluez/hci1",
                    "org.bluez.Adapter1",
                    "StopDiscovery",
                    "",
                    [],
                )
        service_data = {k: v.value for k, v in found["ServiceData"].value.items()}
        assert service_data == {EDDYSTONE_UUID: bytes.fromhex("10ee03") + b"hub.example\x01b/a01"}
    finally:
        observer.disconnect()


async def test_missing_adapter_is_a_clear_error(fake_bluez: str) -> None:
    with pytest.raises(AdvertisingError, match="hci7"):
        async with Advertiser([ibeacon_content(FRAME)], "hci7"):
            pass
