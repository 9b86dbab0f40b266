"""Trace files: round trip, errors naming the line, and random bytes never raising anything
but TraceError."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beacon_agent.agent import AgentOptions, BeaconAgent
from beacon_agent.trace import (
    TraceError,
    TraceRecord,
    decode_payload,
    read_replay_blocks,
    read_trace,
    record_line,
    write_trace,
)
from hub.keys import DEVICES

RECORD = TraceRecord(
    t=1.5,
    address="5A:01:02:03:04:05",
    rssi=-63,
    tx_power=7,
    local_name="x",
    manufacturer_data={76: "0215" + "00" * 21},
    service_data={"0000feaa-0000-1000-8000-00805f9b34fb": "00e8" + "00" * 16},
    service_uuids=["0000feaa-0000-1000-8000-00805f9b34fb"],
)


def test_records_round_trip_and_replay_lines_carry_the_same_payload(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    assert write_trace(path, [RECORD] * 3) == 3
    assert list(read_trace(path)) == [RECORD] * 3
    ((first, lines),) = list(read_replay_blocks(path))
    assert first == 1 and len(lines) == 3
    assert decode_payload(lines[0]) == RECORD.payload()


def test_record_line_is_the_design_format() -> None:
    line = record_line(12.5, "5A:00:00:00:00:01", -63, None, None, {76: b"\x02\x15"}, {}, [])
    assert line == (
        b'{"t":12.5,"address":"5A:00:00:00:00:01","rssi":-63,"tx_power":null,'
        b'"local_name":null,"manufacturer_data":{"76":"0215"},"service_data":{},'
        b'"service_uuids":[]}\n'
    )


def test_missing_file_is_a_trace_error(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match=r"nope\.jsonl"):
        list(read_trace(tmp_path / "nope.jsonl"))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_trace_errors(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    for reader in (read_trace, read_replay_blocks):
        try:
            list(reader(path))  # type: ignore[operator]
        except TraceError as exc:
            assert exc.line >= 1


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 400))
def test_truncated_traces_name_the_cut_line(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.jsonl"
    full = b"".join(
        record_line(i, "5A:00:00:00:00:01", -60, None, None, {76: b"\x01"}, {}, [])
        for i in range(5)
    )
    prefix = full[: len(full) - cut]
    path.write_bytes(prefix)
    whole_lines = prefix.count(b"\n") + (0 if prefix.endswith(b"\n") else 1) if prefix else 0
    if not prefix or (
        full.startswith(prefix.rstrip(b"\n") + b"\n") and prefix.endswith((b"\n", b"}"))
    ):
        assert len(list(read_trace(path))) == whole_lines
    else:
        with pytest.raises(TraceError) as caught:
            list(read_trace(path))
        assert caught.value.line == prefix.count(b"\n") + 1


async def test_replay_names_the_line_of_a_bad_payload(
    loopback_hub: tuple[web.Application, TestServer], tmp_path: Path
) -> None:
    app, server = loopback_hub
    path = tmp_path / "bad.jsonl"
    good = record_line(1.0, "5A:00:00:00:00:01", -60, None, None, {76: b"\x01"}, {}, [])
    path.write_bytes(good + good + good.replace(b'"01"', b'"zz"'))
    code = await app[DEVICES].create_pairing_code("beacon", "bad", "zone-a")
    agent = BeaconAgent(
        AgentOptions(
            state=tmp_path / "a",
            hub_url=str(server.make_url("")).rstrip("/"),
            pair_code=code.code,
            name="bad",
            replay=path,
            speed=0,
        )
    )
    with pytest.raises(TraceError, match=r"bad.jsonl:3: bad payload"):
        await agent.run()
