"""The device side without a hub: heartbeat status, advertisements, imports per mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from beacon_agent.agent import AgentOptions, BeaconAgent, agent_advertisements
from beacon_agent.frames import (
    APPLE_COMPANY_ID,
    EDDYSTONE_UUID,
    IBeacon,
    encode_ibeacon,
    parse_advertisement,
)
from beacon_agent.pipeline import AgentCore
from beacon_agent.tracker import TrackerConfig
from hub.client.manifest import Beacon, IBeaconId

UUID = "c1a15e00-7a1e-4e5a-9c1a-15e000000001"
TAG = Beacon(id="t01", kind="fixed", ibeacon=IBeaconId(uuid=UUID, major=1, minor=1))
AGENT = Beacon(
    id="a1",
    kind="agent",
    ibeacon=IBeaconId(uuid=UUID, major=100, minor=1),
    zone="zone-a",
    measured_power=-60,
)


def test_heartbeat_reports_fixed_beacon_health_and_counts(tmp_path: Path) -> None:
    agent = BeaconAgent(AgentOptions(state=tmp_path / "state", hub_url="http://127.0.0.1:9"))
    try:
        agent.core = AgentCore(TrackerConfig(zone="zone-a"), [TAG, AGENT])
        tag = encode_ibeacon(IBeacon(UUID.replace("-", ""), 1, 1, -62))
        other_agent = encode_ibeacon(IBeacon(UUID.replace("-", ""), 100, 1, -60))
        for i in range(10):
            agent.core.feed("C0:00:00:00:00:01", -55, None, {APPLE_COMPANY_ID: tag}, {}, 1e9 + i)
            agent.core.feed(
                "C0:00:00:00:00:02", -80, None, {APPLE_COMPANY_ID: other_agent}, {}, 1e9 + i
            )
        status = agent._status()
        assert [b.beacon_id for b in status.beacons] == ["t01"]  # the other agent: not health
        assert status.beacons[0].rssi == -55.0
        assert status.status["adverts"] == 20 and status.status["visitor_samples"] == 0
        assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
    finally:
        agent.outbox.close()


def test_agent_advertises_its_ibeacon_and_a_link_that_fits() -> None:
    contents = agent_advertisements(AGENT, "https://hub.example.org")
    assert parse_advertisement(contents[0].manufacturer_data, {}) == IBeacon(
        UUID.replace("-", ""), 100, 1, -60
    )
    url = parse_advertisement({}, contents[1].service_data)
    assert url is not None and getattr(url, "url", None) == "https://hub.example.org/b/a1"
    assert contents[1].service_uuids == (EDDYSTONE_UUID,)


def test_a_link_too_long_for_eddystone_leaves_only_the_ibeacon() -> None:
    contents = agent_advertisements(AGENT, "http://a-very-long-hub-name.museum.local:8080")
    assert len(contents) == 1 and contents[0].manufacturer_data


def test_replay_and_simulation_need_neither_bleak_nor_dbus() -> None:
    code = (
        "import sys\n"
        "import beacon_agent.agent, beacon_agent.cli\n"
        "assert 'bleak' not in sys.modules and 'dbus_fast' not in sys.modules, 'radio import'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_live_recording_writes_what_was_heard_and_only_there(tmp_path: Path) -> None:
    from beacon_agent.pipeline import Advert
    from beacon_agent.trace import open_for_recording, read_trace

    agent = BeaconAgent(AgentOptions(state=tmp_path / "state", hub_url="http://127.0.0.1:9"))
    try:
        agent._recording = open_for_recording(tmp_path / "rec.jsonl")
        for i in range(3):
            agent._on_advert(
                Advert(
                    f"5A:00:00:00:00:0{i}",
                    -60 - i,
                    7,
                    "phone",
                    {0x004C: b"\x10\x05"},
                    {"fe2c": b"\x01"},
                    ["fe2c"],
                    1e9 + i,
                )
            )
        agent._recording.write(b"".join(agent._record_lines))
        agent._recording.close()
        records = list(read_trace(tmp_path / "rec.jsonl"))
        assert [(r.t, r.address, r.rssi) for r in records] == [
            (0.0, "5A:00:00:00:00:00", -60),
            (1.0, "5A:00:00:00:00:01", -61),
            (2.0, "5A:00:00:00:00:02", -62),
        ]
        assert records[0].payload() == ({0x004C: b"\x10\x05"}, {"fe2c": b"\x01"})
        assert (tmp_path / "rec.jsonl").stat().st_mode & 0o777 == 0o600
    finally:
        agent.outbox.close()
    for path in (tmp_path / "state").rglob("*"):
        assert b"5A:00" not in path.read_bytes()
