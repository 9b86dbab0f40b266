"""The BlueZ adapter for advertising: the agent's iBeacon and an Eddystone-URL link.

Through BlueZ's D-Bus API on the system bus (dbus-fast): an object implementing
``org.bluez.LEAdvertisement1`` is exported per advertisement and registered with
``org.bluez.LEAdvertisingManager1.RegisterAdvertisement`` on the adapter. Two
advertisements, because an iBeacon (30 bytes with its flags) and an Eddystone frame
do not fit one 31-byte legacy advertisement together; BlueZ rotates between them.

The adapter must be powered: it is checked first, and powered on when it is off
(BlueZ refuses advertisements on an adapter that is off).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Final

from dbus_fast import BusType, Message, MessageType, PropertyAccess, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusBool, DBusSignature, DBusStr
from dbus_fast.service import ServiceInterface, dbus_property, method

from beacon_agent.frames import (
    APPLE_COMPANY_ID,
    EDDYSTONE_UUID,
    EddystoneUrl,
    IBeacon,
    encode_eddystone,
    encode_ibeacon,
)
from cimaise.errors import CimaiseError

_log = logging.getLogger(__name__)

BLUEZ: Final = "org.bluez"
ADVERTISEMENT_IFACE: Final = "org.bluez.LEAdvertisement1"
MANAGER_IFACE: Final = "org.bluez.LEAdvertisingManager1"
ADAPTER_IFACE: Final = "org.bluez.Adapter1"
PROPERTIES_IFACE: Final = "org.freedesktop.DBus.Properties"
PATH_PREFIX: Final = "/org/cimaise/advertisement"

ManufacturerData = Annotated[dict[int, Variant], DBusSignature("a{qv}")]
ServiceData = Annotated[dict[str, Variant], DBusSignature("a{sv}")]
StringList = Annotated[list[str], DBusSignature("as")]


class AdvertisingError(CimaiseError):
    """Raised when BlueZ refuses to advertise (no adapter, adapter off, registration refused)."""


@dataclass(frozen=True, slots=True)
class AdvertisementContent:
    """What one advertisement carries (BlueZ adds the flags)."""

    manufacturer_data: dict[int, bytes]
    service_data: dict[str, bytes]
    service_uuids: tuple[str, ...] = ()
    kind: str = "broadcast"  # non-connectable: a beacon
    # the "LE General Discoverable" flag (flags 0x06): iBeacon receivers expect it
    discoverable: bool = True


def ibeacon_content(frame: IBeacon) -> AdvertisementContent:
    """An iBeacon advertisement."""
    return AdvertisementContent(
        manufacturer_data={APPLE_COMPANY_ID: encode_ibeacon(frame)}, service_data={}
    )


def eddystone_url_content(frame: EddystoneUrl) -> AdvertisementContent:
    """An Eddystone-URL advertisement (ValueError when the URL is too long for the frame)."""
    return AdvertisementContent(
        manufacturer_data={},
        service_data={EDDYSTONE_UUID: encode_eddystone(frame)},
        service_uuids=(EDDYSTONE_UUID,),
    )


class LEAdvertisement(ServiceInterface):
    """The exported ``org.bluez.LEAdvertisement1`` object that BlueZ reads."""

    def __init__(self, content: AdvertisementContent) -> None:
        super().__init__(ADVERTISEMENT_IFACE)
        self.content = content
        self.released = False

    # no return annotation: dbus-fast reads "None" as a signature, not as "no reply value"
    @method()
    def Release(self):  # type: ignore[no-untyped-def]
        """BlueZ dropped the advertisement (adapter reset, bluetoothd restart)."""
        self.released = True
        _log.info("BlueZ released an advertisement")

    @dbus_property(access=PropertyAccess.READ)
    def Type(self) -> DBusStr:
        """``broadcast``: a non-connectable beacon."""
        return self.content.kind

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> ManufacturerData:
        """Company id -> bytes (the iBeacon frame under Apple's id)."""
        return {k: Variant("ay", v) for k, v in self.content.manufacturer_data.items()}

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> ServiceData:
        """Service UUID -> bytes (the Eddystone frame under 0xFEAA)."""
        return {k: Variant("ay", v) for k, v in self.content.service_data.items()}

    @dbus_property(access=PropertyAccess.READ)
    def ServiceUUIDs(self) -> StringList:
        """The complete list of 16-bit service UUIDs Eddystone requires."""
        return list(self.content.service_uuids)

    @dbus_property(access=PropertyAccess.READ)
    def Discoverable(self) -> DBusBool:
        """Whether BlueZ sets the LE General Discoverable flag."""
        return self.content.discoverable


async def _call(
    bus: MessageBus, path: str, interface: str, member: str, sig: str, body: list[Any]
) -> list[Any]:
    reply = await bus.call(
        Message(
            destination=BLUEZ,
            path=path,
            interface=interface,
            member=member,
            signature=sig,
            body=body,
        )
    )
    assert reply is not None
    if reply.message_type == MessageType.ERROR:
        detail = reply.body[0] if reply.body else ""
        raise AdvertisingError(f"BlueZ {member} on {path} failed: {reply.error_name} {detail}")
    return list(reply.body)


class Advertiser:
    """``async with Advertiser(contents, adapter="hci0"): ...`` advertises during the block."""

    def __init__(self, contents: list[AdvertisementContent], adapter: str = "hci0") -> None:
        self.contents = contents
        self.adapter_path = f"/org/bluez/{adapter}"
        self._bus: MessageBus | None = None
        self._registered: list[str] = []

    async def __aenter__(self) -> Advertiser:
        try:
            self._bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        except (OSError, ValueError) as exc:
            raise AdvertisingError(f"cannot reach the system D-Bus (BlueZ): {exc}") from exc
        try:
            await self.ensure_powered()
            for i, content in enumerate(self.contents):
                path = f"{PATH_PREFIX}{i}"
                self._bus.export(path, LEAdvertisement(content))
                await _call(
                    self._bus,
                    self.adapter_path,
                    MANAGER_IFACE,
                    "RegisterAdvertisement",
                    "oa{sv}",
                    [path, {}],
                )
                self._registered.append(path)
            _log.info(
                "advertising %d advertisement(s) on %s", len(self._registered), self.adapter_path
            )
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def ensure_powered(self) -> None:
        """Check the adapter exists and is powered; power it on when it is off."""
        assert self._bus is not None
        (powered,) = await _call(
            self._bus,
            self.adapter_path,
            PROPERTIES_IFACE,
            "Get",
            "ss",
            [ADAPTER_IFACE, "Powered"],
        )
        if not powered.value:
            _log.warning("adapter %s is off: powering it on", self.adapter_path)
            await _call(
                self._bus,
                self.adapter_path,
                PROPERTIES_IFACE,
                "Set",
                "ssv",
                [ADAPTER_IFACE, "Powered", Variant("b", True)],
            )

    async def __aexit__(self, *exc_info: object) -> None:
        bus = self._bus
        if bus is None:
            return
        for path in self._registered:
            try:
                await _call(
                    bus, self.adapter_path, MANAGER_IFACE, "UnregisterAdvertisement", "o", [path]
                )
            except AdvertisingError as exc:  # BlueZ may have dropped it already
                _log.info("%s", exc)
            bus.unexport(path)
        self._registered.clear()
        bus.disconnect()
        await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]
        self._bus = None
