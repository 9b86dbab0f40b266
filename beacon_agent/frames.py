"""BLE beacon frames: pure parsers over bytes, and the encoders that produce them.

Parsers take the payloads as bleak hands them over (manufacturer data without the
2-byte company id, service data per 128-bit UUID string) and return a typed frame or
``None``. They never raise on malformed input: a truncated or garbled frame is
``None``, and an advertisement with no recognised frame is an unknown device.

Formats: Apple iBeacon (company 0x004C, ``02 15``), AltBeacon (``BE AC`` under any
company), Eddystone UID / URL / TLM (unencrypted) / EID in service data of 0xFEAA
(github.com/google/eddystone, protocol specification).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

APPLE_COMPANY_ID: Final = 0x004C
EDDYSTONE_UUID: Final = "0000feaa-0000-1000-8000-00805f9b34fb"
EDDYSTONE_UUID16: Final = "feaa"

_IBEACON_PREFIX: Final = b"\x02\x15"
_ALTBEACON_PREFIX: Final = b"\xbe\xac"

EDDYSTONE_UID: Final = 0x00
EDDYSTONE_URL: Final = 0x10
EDDYSTONE_TLM: Final = 0x20
EDDYSTONE_EID: Final = 0x30

URL_SCHEMES: Final = ("http://www.", "https://www.", "http://", "https://")
URL_EXPANSIONS: Final = (
    ".com/",
    ".org/",
    ".edu/",
    ".net/",
    ".info/",
    ".biz/",
    ".gov/",
    ".com",
    ".org",
    ".edu",
    ".net",
    ".info",
    ".biz",
    ".gov",
)
#: most bytes of encoded URL after the scheme byte in one Eddystone-URL frame
MAX_URL_BYTES: Final = 17


@dataclass(frozen=True, slots=True)
class IBeacon:
    """An Apple iBeacon frame; ``measured_power`` is the RSSI at 1 m in dBm."""

    uuid: str  # 32 lower-case hex digits
    major: int
    minor: int
    measured_power: int


@dataclass(frozen=True, slots=True)
class AltBeacon:
    """An AltBeacon frame (Radius Networks' open format)."""

    company_id: int
    beacon_id: str  # 20 bytes, hex
    measured_power: int  # reference RSSI at 1 m
    reserved: int


@dataclass(frozen=True, slots=True)
class EddystoneUid:
    """An Eddystone-UID frame; ``tx_power`` is the calibrated power at 0 m in dBm."""

    namespace: str  # 10 bytes, hex
    instance: str  # 6 bytes, hex
    tx_power: int


@dataclass(frozen=True, slots=True)
class EddystoneUrl:
    """An Eddystone-URL frame with its URL expanded."""

    url: str
    tx_power: int


@dataclass(frozen=True, slots=True)
class EddystoneTlm:
    """An unencrypted Eddystone-TLM frame (version 0): the beacon's health."""

    battery_mv: int | None  # None: the beacon is mains powered (0 on the air)
    temperature_c: float | None  # None: not supported (0x8000 on the air)
    adv_count: int
    uptime_s: float


@dataclass(frozen=True, slots=True)
class EddystoneEid:
    """An Eddystone-EID frame: a rotating ephemeral id (only its owner can resolve it)."""

    eid: str  # 8 bytes, hex
    tx_power: int


Frame = IBeacon | AltBeacon | EddystoneUid | EddystoneUrl | EddystoneTlm | EddystoneEid


def _signed8(value: int) -> int:
    return value - 256 if value > 127 else value


def parse_ibeacon(data: bytes) -> IBeacon | None:
    """An iBeacon from Apple manufacturer data (company id stripped), or None."""
    if len(data) < 23 or data[:2] != _IBEACON_PREFIX:
        return None
    return IBeacon(
        uuid=data[2:18].hex(),
        major=int.from_bytes(data[18:20], "big"),
        minor=int.from_bytes(data[20:22], "big"),
        measured_power=_signed8(data[22]),
    )


def parse_altbeacon(company_id: int, data: bytes) -> AltBeacon | None:
    """An AltBeacon from manufacturer data (company id stripped), or None."""
    if len(data) < 24 or data[:2] != _ALTBEACON_PREFIX:
        return None
    return AltBeacon(
        company_id=company_id,
        beacon_id=data[2:22].hex(),
        measured_power=_signed8(data[22]),
        reserved=data[23],
    )


def decode_eddystone_url(scheme: int, encoded: bytes) -> str | None:
    """Expand an Eddystone-URL body; None for an unknown scheme or a reserved byte."""
    if scheme >= len(URL_SCHEMES) or len(encoded) > MAX_URL_BYTES:
        return None
    parts = [URL_SCHEMES[scheme]]
    for byte in encoded:
        if byte < len(URL_EXPANSIONS):
            parts.append(URL_EXPANSIONS[byte])
        elif 0x20 < byte < 0x7F:
            parts.append(chr(byte))
        else:
            return None
    return "".join(parts)


Eddystone = EddystoneUid | EddystoneUrl | EddystoneTlm | EddystoneEid


def parse_eddystone(data: bytes) -> Eddystone | None:
    """An Eddystone frame from 0xFEAA service data, or None."""
    if not data:
        return None
    kind = data[0]
    size = len(data)
    if kind == EDDYSTONE_UID:
        # 18 bytes, plus 2 reserved that many beacons send and some omit
        if size not in (18, 20):
            return None
        return EddystoneUid(
            namespace=data[2:12].hex(), instance=data[12:18].hex(), tx_power=_signed8(data[1])
        )
    if kind == EDDYSTONE_URL:
        if size < 3:
            return None
        url = decode_eddystone_url(data[2], data[3:])
        return None if url is None else EddystoneUrl(url=url, tx_power=_signed8(data[1]))
    if kind == EDDYSTONE_TLM:
        if size != 14 or data[1] != 0x00:  # version 1 is encrypted (eTLM): not ours to read
            return None
        battery = int.from_bytes(data[2:4], "big")
        raw_temp = int.from_bytes(data[4:6], "big", signed=True)
        return EddystoneTlm(
            battery_mv=battery or None,
            temperature_c=None if raw_temp == -0x8000 else raw_temp / 256.0,
            adv_count=int.from_bytes(data[6:10], "big"),
            uptime_s=int.from_bytes(data[10:14], "big") / 10.0,
        )
    if kind == EDDYSTONE_EID:
        if size != 10:
            return None
        return EddystoneEid(eid=data[2:10].hex(), tx_power=_signed8(data[1]))
    return None


def _is_eddystone_uuid(uuid: str) -> bool:
    uuid = uuid.lower()
    return uuid in (EDDYSTONE_UUID, EDDYSTONE_UUID16)


def parse_advertisement(
    manufacturer_data: Mapping[int, bytes], service_data: Mapping[str, bytes]
) -> Frame | None:
    """The first beacon frame in an advertisement's data, or None for an unknown device.

    Malformed payloads never raise: they are simply not recognised.
    """
    for company_id, payload in manufacturer_data.items():
        if company_id == APPLE_COMPANY_ID:
            frame: Frame | None = parse_ibeacon(payload)
            if frame is not None:
                return frame
        frame = parse_altbeacon(company_id, payload)
        if frame is not None:
            return frame
    for uuid, payload in service_data.items():
        if _is_eddystone_uuid(uuid):
            frame = parse_eddystone(payload)
            if frame is not None:
                return frame
    return None


# -- encoders: for advertising and for the simulator (encode -> parse round-trips) --


def _power_byte(dbm: int) -> bytes:
    if not -128 <= dbm <= 127:
        raise ValueError(f"power {dbm} dBm does not fit a signed byte")
    return (dbm & 0xFF).to_bytes(1, "big")


def _hex_bytes(value: str, size: int, what: str) -> bytes:
    raw = bytes.fromhex(value.replace("-", ""))
    if len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes, got {len(raw)}")
    return raw


def encode_ibeacon(frame: IBeacon) -> bytes:
    """Apple manufacturer data (without the company id) for an iBeacon frame."""
    if not (0 <= frame.major <= 0xFFFF and 0 <= frame.minor <= 0xFFFF):
        raise ValueError("major and minor must be 0..65535")
    return (
        _IBEACON_PREFIX
        + _hex_bytes(frame.uuid, 16, "iBeacon uuid")
        + frame.major.to_bytes(2, "big")
        + frame.minor.to_bytes(2, "big")
        + _power_byte(frame.measured_power)
    )


def encode_altbeacon(frame: AltBeacon) -> bytes:
    """Manufacturer data (without the company id) for an AltBeacon frame."""
    if not 0 <= frame.reserved <= 0xFF:
        raise ValueError("reserved must be one byte")
    return (
        _ALTBEACON_PREFIX
        + _hex_bytes(frame.beacon_id, 20, "AltBeacon id")
        + _power_byte(frame.measured_power)
        + frame.reserved.to_bytes(1, "big")
    )


def encode_eddystone_url_body(url: str) -> tuple[int, bytes]:
    """(scheme byte, encoded body) of a URL; ValueError when it cannot be a frame."""
    # the longest prefix first: "https://www." before "https://"
    candidates = [i for i, prefix in enumerate(URL_SCHEMES) if url.startswith(prefix)]
    if not candidates:
        raise ValueError(f"an Eddystone-URL must start with one of {URL_SCHEMES}")
    scheme = max(candidates, key=lambda i: len(URL_SCHEMES[i]))
    rest = url[len(URL_SCHEMES[scheme]) :]
    out = bytearray()
    i = 0
    while i < len(rest):
        for code, expansion in enumerate(URL_EXPANSIONS):  # ".com/" is tried before ".com"
            if rest.startswith(expansion, i):
                out.append(code)
                i += len(expansion)
                break
        else:
            char = ord(rest[i])
            if not 0x20 < char < 0x7F:
                raise ValueError("an Eddystone-URL holds printable ASCII only")
            out.append(char)
            i += 1
    if len(out) > MAX_URL_BYTES:
        raise ValueError(
            f"the URL needs {len(out)} encoded bytes, an Eddystone-URL frame holds {MAX_URL_BYTES}"
        )
    return scheme, bytes(out)


def encode_eddystone(frame: Eddystone) -> bytes:
    """0xFEAA service data for an Eddystone frame."""
    if isinstance(frame, EddystoneUid):
        return (
            bytes([EDDYSTONE_UID])
            + _power_byte(frame.tx_power)
            + _hex_bytes(frame.namespace, 10, "namespace")
            + _hex_bytes(frame.instance, 6, "instance")
            + b"\x00\x00"
        )
    if isinstance(frame, EddystoneUrl):
        scheme, body = encode_eddystone_url_body(frame.url)
        return bytes([EDDYSTONE_URL]) + _power_byte(frame.tx_power) + bytes([scheme]) + body
    if isinstance(frame, EddystoneTlm):
        temp = frame.temperature_c
        raw_temp = -0x8000 if temp is None else round(temp * 256)
        return (
            bytes([EDDYSTONE_TLM, 0x00])
            + (frame.battery_mv or 0).to_bytes(2, "big")
            + raw_temp.to_bytes(2, "big", signed=True)
            + frame.adv_count.to_bytes(4, "big")
            + round(frame.uptime_s * 10).to_bytes(4, "big")
        )
    return bytes([EDDYSTONE_EID]) + _power_byte(frame.tx_power) + _hex_bytes(frame.eid, 8, "eid")
