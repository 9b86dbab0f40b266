"""The whole pipeline against a real hub on loopback: enroll with a pairing code, replay a
trace, find the expected visits and occupancy in the hub's store, and no Bluetooth address
anywhere the gallery writes (hub database files, the agent's state folder, the logs)."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
from pathlib import Path

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from beacon_agent.agent import AgentOptions, BeaconAgent
from beacon_agent.pipeline import AgentCore
from beacon_agent.pseudonym import PseudonymKey
from beacon_agent.simulate import GallerySimulation, SimConfig
from beacon_agent.trace import read_trace, write_trace
from beacon_agent.tracker import TrackerConfig
from cimaise.errors import NotPairedError
from hub.client.events import Occupancy, Visit
from hub.client.manifest import Zone
from hub.keys import DEVICES
from tests.beacon_agent.conftest import SECRET, stored

FIXED_NOW = float(int(time.time()))  # fixed for the run; the hub's key must be valid then
ZONE = "zone-a"


@pytest.fixture(scope="module")
def trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trace") / "gallery.jsonl"
    write_trace(path, GallerySimulation(SimConfig(seed=7)).records(1800))
    return path


def expected_events(trace: Path) -> tuple[list[Visit], list[Occupancy]]:
    """The same trace through a bare core, on the same clock as the agent's replay."""
    records = list(read_trace(trace))
    base = FIXED_NOW - records[-1].t
    core = AgentCore(TrackerConfig.from_zone(Zone(id=ZONE, name={})), [])
    core.set_key(PseudonymKey(SECRET, "k"), base + records[0].t)
    for r in records:
        mfg, svc = r.payload()
        core.feed(r.address, r.rssi, r.tx_power, mfg, svc, base + r.t)
    core.finish(FIXED_NOW)
    events = core.events()
    return (
        [e for e in events if isinstance(e, Visit)],
        [e for e in events if isinstance(e, Occupancy)],
    )


def addresses_of(trace: Path) -> set[str]:
    return {r.address for r in read_trace(trace)}


def leaks(addresses: set[str], blob: bytes) -> set[str]:
    text = blob.upper()
    found = set()
    for address in addresses:
        for form in (address, address.replace(":", ""), address.replace(":", "-")):
            if form.upper().encode() in text:
                found.add(address)
    return found


async def test_replayed_trace_lands_as_the_expected_visits_and_occupancy(
    loopback_hub: tuple[web.Application, TestServer],
    trace: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app, server = loopback_hub
    code = await app[DEVICES].create_pairing_code("beacon", "agent-a", ZONE)
    state = tmp_path / "agent"
    agent = BeaconAgent(
        AgentOptions(
            state=state,
            hub_url=str(server.make_url("")).rstrip("/"),
            pair_code=code.code,
            name="agent-a",
            replay=trace,
            speed=0,
        ),
        clock=lambda: FIXED_NOW,
    )
    sent = await agent.run()

    visits, occupancy = expected_events(trace)
    assert len(visits) > 20 and len(occupancy) >= 29
    assert sent == len(visits) + len(occupancy)
    events = stored(tmp_path / "hub" / "hub.db")
    got_visits = [e for e in events if isinstance(e, Visit)]
    got_occupancy = [e for e in events if isinstance(e, Occupancy)]

    def visit_key(v: Visit) -> tuple[object, ...]:
        return (v.visitor, v.zone, v.start, v.end, v.samples, v.min_distance_m)

    assert sorted(map(visit_key, got_visits)) == sorted(map(visit_key, visits))

    def occ_key(o: Occupancy) -> tuple[object, ...]:
        return (o.zone, o.start, o.end, o.count, o.peak)

    assert sorted(map(occ_key, got_occupancy)) == sorted(map(occ_key, occupancy))
    assert max(o.peak for o in got_occupancy) >= 2

    # Privacy: no address of the trace in anything written or logged.
    addresses = addresses_of(trace)
    assert len(addresses) > 50
    written = [p for p in (tmp_path / "hub").rglob("*") if p.is_file()]
    written += [p for p in state.rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in written) or any(p.name == "hub.db" for p in written)
    for path in written:
        assert not leaks(addresses, path.read_bytes()), f"address found in {path}"
    assert not leaks(addresses, caplog.text.encode())
    credentials = (state / "credentials.json").stat().st_mode & 0o777
    assert credentials == 0o600


async def test_cli_replay_in_a_fresh_process_sends_events_and_logs_no_address(
    loopback_hub: tuple[web.Application, TestServer], trace: Path, tmp_path: Path
) -> None:
    app, server = loopback_hub
    code = await app[DEVICES].create_pairing_code("beacon", "agent-cli", ZONE)
    state = tmp_path / "agent-cli"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cimaise",
        "beacon",
        "--hub",
        str(server.make_url("")).rstrip("/"),
        "--pair",
        code.code,
        "--state",
        str(state),
        "--replay",
        str(trace),
        "--speed",
        "0",
        "--log-level",
        "DEBUG",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    sent = int(re.search(rb"done: (\d+) events", out).group(1))  # type: ignore[union-attr]
    assert sent > 20
    assert len(stored(tmp_path / "hub" / "hub.db")) == sent
    assert not leaks(addresses_of(trace), out + err)


async def test_revoked_agent_stops_with_pairing_required(
    loopback_hub: tuple[web.Application, TestServer], trace: Path, tmp_path: Path
) -> None:
    app, server = loopback_hub
    code = await app[DEVICES].create_pairing_code("beacon", "agent-r", ZONE)
    agent = BeaconAgent(
        AgentOptions(
            state=tmp_path / "agent-r",
            hub_url=str(server.make_url("")).rstrip("/"),
            pair_code=code.code,
            name="agent-r",
            replay=trace,
            speed=600,  # 30 min of trace in about 3 s
            heartbeat_s=0.2,
        )
    )
    task = asyncio.create_task(agent.run())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while agent.link.credentials is None or agent.core is None:
        assert loop.time() < deadline and not task.done()
        await asyncio.sleep(0.05)
    await app[DEVICES].revoke(agent.link.credentials.device_id)
    with pytest.raises(NotPairedError, match="pairing required"):
        await asyncio.wait_for(task, 20)
    assert not (tmp_path / "agent-r" / "credentials.json").exists()


def test_bad_trace_line_is_named(tmp_path: Path) -> None:
    from beacon_agent.trace import TraceError, read_replay_blocks

    path = tmp_path / "bad.jsonl"
    good = msgspec.json.encode({"t": 1.0, "address": "5A:00:00:00:00:01", "rssi": -60})
    path.write_bytes(good + b"\n" + good + b"\n" + b'{"t": "x"}\n')
    with pytest.raises(TraceError, match=r"bad.jsonl:3: .*t"):
        list(read_replay_blocks(path))
    with pytest.raises(TraceError, match=r"bad.jsonl:3:"):
        list(read_trace(path))
