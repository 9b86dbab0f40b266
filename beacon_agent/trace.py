"""BLE traces: JSON Lines, one advertisement a line (the DESIGN.md format).

``{"t": 12.5, "address": "5A:...", "rssi": -63, "tx_power": null, "local_name": null,
"manufacturer_data": {"76": "0215..."}, "service_data": {"0000feaa-...": "00..."},
"service_uuids": []}`` with ``t`` in seconds from the trace start and bytes in hex.

A recorded trace is the only place a Bluetooth address is ever written, and only
when a technician asks for a recording (``cimaise beacon --record FILE``); the file
is created readable by its owner only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

import msgspec

from cimaise.errors import CimaiseError

#: bytes read per step when replaying (lines are decoded a block at a time)
_BLOCK: Final = 1 << 20


class TraceError(CimaiseError):
    """Raised when a trace file cannot be read: names the file, the line and the problem."""

    def __init__(self, path: Path | str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = str(path)
        self.line = line
        self.problem = problem


class TraceRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One advertisement of a trace."""

    t: float
    address: str
    rssi: int
    tx_power: int | None = None
    local_name: str | None = None
    manufacturer_data: dict[int, str] = {}
    service_data: dict[str, str] = {}
    service_uuids: list[str] = []

    def payload(self) -> tuple[dict[int, bytes], dict[str, bytes]]:
        """Manufacturer and service data as bytes (ValueError on bad hex)."""
        return (
            {k: bytes.fromhex(v) for k, v in self.manufacturer_data.items()},
            {k: bytes.fromhex(v) for k, v in self.service_data.items()},
        )


class ReplayLine(msgspec.Struct, frozen=True):
    """The fields replay needs, with the payloads left undecoded (the cache keys on them)."""

    t: float
    address: str
    rssi: int
    tx_power: int | None = None
    manufacturer_data: msgspec.Raw = msgspec.Raw(b"{}")
    service_data: msgspec.Raw = msgspec.Raw(b"{}")


_record_decoder = msgspec.json.Decoder(TraceRecord)
_replay_decoder = msgspec.json.Decoder(ReplayLine)
_mfg_decoder = msgspec.json.Decoder(dict[int, str])
_svc_decoder = msgspec.json.Decoder(dict[str, str])
_encoder = msgspec.json.Encoder()


def record_line(
    t: float,
    address: str,
    rssi: int,
    tx_power: int | None,
    local_name: str | None,
    manufacturer_data: Mapping[int, bytes],
    service_data: Mapping[str, bytes],
    service_uuids: Sequence[str],
) -> bytes:
    """One trace line (with its newline) for an advertisement."""
    record = TraceRecord(
        t=round(t, 3),
        address=address,
        rssi=rssi,
        tx_power=tx_power,
        local_name=local_name,
        manufacturer_data={k: v.hex() for k, v in manufacturer_data.items()},
        service_data={k: v.hex() for k, v in service_data.items()},
        service_uuids=list(service_uuids),
    )
    return _encoder.encode(record) + b"\n"


def encode_record(record: TraceRecord) -> bytes:
    """One trace line (with its newline)."""
    return _encoder.encode(record) + b"\n"


def open_for_recording(path: Path) -> IO[bytes]:
    """Create (or truncate) a trace file readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def write_trace(path: Path, records: Iterator[TraceRecord] | Sequence[TraceRecord]) -> int:
    """Write records to a trace file; returns how many."""
    count = 0
    with open_for_recording(path) as out:
        buffer: list[bytes] = []
        for record in records:
            buffer.append(encode_record(record))
            count += 1
            if len(buffer) >= 4096:
                out.write(b"".join(buffer))
                buffer.clear()
        out.write(b"".join(buffer))
    return count


def _check(
    path: Path, first_line: int, lines: list[bytes], decoder: msgspec.json.Decoder[Any]
) -> None:
    """Find the first bad line of a block and raise a TraceError naming it."""
    for offset, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            item = decoder.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise TraceError(path, first_line + offset, str(exc)) from None
        if isinstance(item, TraceRecord):
            try:
                item.payload()
            except ValueError:
                raise TraceError(path, first_line + offset, "a payload is not hex") from None
    raise TraceError(path, first_line, "unreadable block")  # pragma: no cover


def _blocks(path: Path) -> Iterator[tuple[int, bytes]]:
    """(number of the block's first line, whole lines) blocks of a file."""
    line = 1
    rest = b""
    try:
        with path.open("rb") as src:
            while True:
                chunk = src.read(_BLOCK)
                if not chunk:
                    break
                data = rest + chunk
                cut = data.rfind(b"\n") + 1
                block, rest = data[:cut], data[cut:]
                if block:
                    yield line, block
                    line += block.count(b"\n")
    except OSError as exc:
        raise TraceError(path, 0, exc.strerror or str(exc)) from None
    if rest.strip():
        yield line, rest + b"\n"


def read_trace(path: Path) -> Iterator[TraceRecord]:
    """Every record of a trace file, in file order; TraceError names a bad line."""
    for first, block in _blocks(path):
        try:
            records = _record_decoder.decode_lines(block)
        except (msgspec.ValidationError, msgspec.DecodeError):
            _check(path, first, block.split(b"\n"), _record_decoder)
            raise
        yield from records


def read_replay_blocks(path: Path) -> Iterator[tuple[int, list[ReplayLine]]]:
    """Blocks of replay lines with their first line number; TraceError names a bad line."""
    for first, block in _blocks(path):
        try:
            lines: list[ReplayLine] = _replay_decoder.decode_lines(block)
        except (msgspec.ValidationError, msgspec.DecodeError):
            _check(path, first, block.split(b"\n"), _replay_decoder)
            raise
        yield first, lines


def decode_payload(line: ReplayLine) -> tuple[dict[int, bytes], dict[str, bytes]]:
    """A replay line's payloads as bytes; ValueError/msgspec errors when malformed."""
    mfg = _mfg_decoder.decode(line.manufacturer_data)
    svc = _svc_decoder.decode(line.service_data)
    return (
        {k: bytes.fromhex(v) for k, v in mfg.items()},
        {k: bytes.fromhex(v) for k, v in svc.items()},
    )


def last_trace_time(path: Path) -> float:
    """The ``t`` of a trace's last line (read from the end of the file)."""
    try:
        with path.open("rb") as src:
            src.seek(0, os.SEEK_END)
            size = src.tell()
            src.seek(max(0, size - 65536))
            tail = src.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        return msgspec.json.decode(tail, type=ReplayLine).t
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return 0.0


def first_trace_time(path: Path) -> float:
    """The ``t`` of a trace's first line."""
    try:
        with path.open("rb") as src:
            return msgspec.json.decode(src.readline(), type=ReplayLine).t
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return 0.0
