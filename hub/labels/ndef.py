"""NDEF URI records (NFC Forum URI RTD 1.0) for the tags on artwork labels.

Pure functions over bytes. A phone that touches a tag holding one of these opens
the link in its browser, with no app (iPhone XS and later, and Android, read
NDEF URI records in the background).
"""

from __future__ import annotations

import dataclasses
from typing import Final

from cimaise.errors import CimaiseError

# NFC Forum URI Record Type Definition 1.0, table 3: identifier code -> prefix.
URI_PREFIXES: Final[tuple[str, ...]] = (
    "",
    "http://www.",
    "https://www.",
    "http://",
    "https://",
    "tel:",
    "mailto:",
    "ftp://anonymous:anonymous@",
    "ftp://ftp.",
    "ftps://",
    "sftp://",
    "smb://",
    "nfs://",
    "ftp://",
    "dav://",
    "news:",
    "telnet://",
    "imap:",
    "rtsp://",
    "urn:",
    "pop:",
    "sip:",
    "sips:",
    "tftp:",
    "btspp://",
    "btl2cap://",
    "btgoep://",
    "tcpobex://",
    "irdaobex://",
    "file://",
    "urn:epc:id:",
    "urn:epc:tag:",
    "urn:epc:pat:",
    "urn:epc:raw:",
    "urn:epc:",
    "urn:nfc:",
)

_TNF_WELL_KNOWN: Final = 0x01
_MB, _ME, _SR = 0x80, 0x40, 0x10


class NdefError(CimaiseError):
    """Raised when a URI cannot go on a tag, or bytes are not a single NDEF URI record."""


@dataclasses.dataclass(frozen=True, slots=True)
class UriRecord:
    """A URI split as a tag stores it: the prefix code and the rest of the URI."""

    code: int
    rest: str

    @property
    def uri(self) -> str:
        return URI_PREFIXES[self.code] + self.rest

    @property
    def prefix(self) -> str:
        return URI_PREFIXES[self.code]

    def describe(self) -> str:
        """The compressed form in words, e.g. ``0x03 (http://) + hub.local/b/x``."""
        return f"0x{self.code:02X} ({self.prefix or 'no prefix'}) + {self.rest}"


def compress_uri(uri: str) -> UriRecord:
    """Split a URI on its longest prefix in the URI RTD table."""
    code = 0
    for i, prefix in enumerate(URI_PREFIXES):
        if prefix and uri.startswith(prefix) and len(prefix) > len(URI_PREFIXES[code]):
            code = i
    return UriRecord(code, uri[len(URI_PREFIXES[code]) :])


def uri_record(uri: str) -> bytes:
    """One NDEF message holding one well-known URI record ("U") for ``uri``.

    Raises NdefError for control characters, which the URI RTD does not allow.
    """
    if any(ord(ch) < 0x20 for ch in uri):
        raise NdefError("a URI may not hold control characters")
    compressed = compress_uri(uri)
    payload = bytes([compressed.code]) + compressed.rest.encode("utf-8")
    record_type = b"U"
    if len(payload) < 256:
        header = bytes([_MB | _ME | _SR | _TNF_WELL_KNOWN, len(record_type), len(payload)])
    else:
        header = bytes([_MB | _ME | _TNF_WELL_KNOWN, len(record_type)]) + len(payload).to_bytes(
            4, "big"
        )
    return header + record_type + payload


def type2_tlv(message: bytes) -> bytes:
    """The message in the TLV form written to an NFC Forum Type 2 tag (e.g. NTAG213)."""
    n = len(message)
    length = bytes([n]) if n < 0xFF else b"\xff" + n.to_bytes(2, "big")
    return b"\x03" + length + message + b"\xfe"


def parse_uri_record(data: bytes) -> UriRecord:
    """Decode a message made of one URI record; raises NdefError otherwise."""
    if len(data) < 3:
        raise NdefError("too short for an NDEF record")
    flags = data[0]
    if flags & 0x07 != _TNF_WELL_KNOWN or not flags & _MB or not flags & _ME:
        raise NdefError("not a single well-known record")
    type_length = data[1]
    if flags & _SR:
        payload_length, at = data[2], 3
    else:
        if len(data) < 6:
            raise NdefError("truncated payload length")
        payload_length, at = int.from_bytes(data[2:6], "big"), 6
    if flags & 0x08:  # IL: an id length byte follows
        if len(data) <= at:
            raise NdefError("truncated id length")
        id_length = data[at]
        at += 1
    else:
        id_length = 0
    record_type = data[at : at + type_length]
    at += type_length + id_length
    payload = data[at : at + payload_length]
    if record_type != b"U":
        raise NdefError("not a URI record")
    if len(payload) != payload_length or at + payload_length != len(data) or not payload:
        raise NdefError("payload length does not match the data")
    if payload[0] >= len(URI_PREFIXES):
        raise NdefError(f"reserved URI identifier code 0x{payload[0]:02X}")
    try:
        rest = payload[1:].decode("utf-8")
    except UnicodeDecodeError:
        raise NdefError("URI is not UTF-8") from None
    if any(ord(ch) < 0x20 for ch in rest):
        raise NdefError("URI holds control characters")
    return UriRecord(payload[0], rest)
