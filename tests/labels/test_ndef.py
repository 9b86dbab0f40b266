"""NDEF URI records, checked against the NFC Forum URI RTD prefix table and ndeflib."""

from __future__ import annotations

import contextlib

import ndef
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.labels.ndef import (
    URI_PREFIXES,
    NdefError,
    compress_uri,
    parse_uri_record,
    type2_tlv,
    uri_record,
)

# NFC Forum URI Record Type Definition 1.0, table 3, typed out from the spec.
RTD_TABLE = {
    0x00: "",
    0x01: "http://www.",
    0x02: "https://www.",
    0x03: "http://",
    0x04: "https://",
    0x05: "tel:",
    0x06: "mailto:",
    0x07: "ftp://anonymous:anonymous@",
    0x08: "ftp://ftp.",
    0x09: "ftps://",
    0x0A: "sftp://",
    0x0B: "smb://",
    0x0C: "nfs://",
    0x0D: "ftp://",
    0x0E: "dav://",
    0x0F: "news:",
    0x10: "telnet://",
    0x11: "imap:",
    0x12: "rtsp://",
    0x13: "urn:",
    0x14: "pop:",
    0x15: "sip:",
    0x16: "sips:",
    0x17: "tftp:",
    0x18: "btspp://",
    0x19: "btl2cap://",
    0x1A: "btgoep://",
    0x1B: "tcpobex://",
    0x1C: "irdaobex://",
    0x1D: "file://",
    0x1E: "urn:epc:id:",
    0x1F: "urn:epc:tag:",
    0x20: "urn:epc:pat:",
    0x21: "urn:epc:raw:",
    0x22: "urn:epc:",
    0x23: "urn:nfc:",
}


def test_prefix_table_matches_the_uri_rtd() -> None:
    assert dict(enumerate(URI_PREFIXES)) == RTD_TABLE


@pytest.mark.parametrize("code", sorted(RTD_TABLE))
def test_every_prefix_compresses_to_its_code(code: int) -> None:
    uri = RTD_TABLE[code] + "museum.example/b/a1"
    record = uri_record(uri)
    payload = record[4:]
    # The longest matching prefix wins ("ftp://ftp." over "ftp://", "urn:epc:id:" over "urn:").
    longest = max((p for p in RTD_TABLE.values() if uri.startswith(p)), key=len)
    assert RTD_TABLE[payload[0]] == longest
    assert payload[0] == code
    assert [r.iri for r in ndef.message_decoder(record)] == [uri]


def test_hub_link_record_bytes() -> None:
    record = uri_record("http://hub.local:8080/b/wave")
    assert record.hex() == "d1011655" + "03" + b"hub.local:8080/b/wave".hex()
    assert compress_uri("http://hub.local:8080/b/wave").describe() == (
        "0x03 (http://) + hub.local:8080/b/wave"
    )


def test_long_uri_uses_a_four_byte_payload_length() -> None:
    uri = "https://hub.example/b/" + "x" * 300
    record = uri_record(uri)
    assert record[0] & 0x10 == 0
    assert [r.iri for r in ndef.message_decoder(record)] == [uri]
    assert parse_uri_record(record).uri == uri


def test_type2_tag_tlv_wraps_the_message() -> None:
    record = uri_record("https://museum.example/b/a1")
    assert type2_tlv(record) == b"\x03" + bytes([len(record)]) + record + b"\xfe"
    long_record = uri_record("https://x.example/" + "y" * 300)
    assert type2_tlv(long_record)[:4] == b"\x03\xff" + len(long_record).to_bytes(2, "big")


def test_control_characters_are_refused() -> None:
    with pytest.raises(NdefError):
        uri_record("https://museum.example/\nb/a1")


@given(st.text(st.characters(min_codepoint=32, exclude_categories=("Cs",)), max_size=400))
def test_any_uri_round_trips_and_agrees_with_ndeflib(uri: str) -> None:
    record = uri_record(uri)
    assert parse_uri_record(record).uri == uri
    assert [r.iri for r in ndef.message_decoder(record)] == [uri]


@given(st.binary(max_size=300))
def test_random_bytes_raise_only_the_parsers_error(data: bytes) -> None:
    with contextlib.suppress(NdefError):
        parse_uri_record(data)


@given(st.text(st.characters(min_codepoint=32, exclude_categories=("Cs",)), max_size=100))
def test_truncated_records_are_refused(uri: str) -> None:
    record = uri_record(uri)
    for cut in range(len(record)):
        with pytest.raises(NdefError):
            parse_uri_record(record[:cut])
