"""The simulated gallery: deterministic, plausible, and usable through the whole pipeline."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer
from click.testing import CliRunner

from beacon_agent.agent import AgentOptions, BeaconAgent
from beacon_agent.cli import beacon
from beacon_agent.frames import parse_advertisement
from beacon_agent.simulate import GallerySimulation, SimConfig
from beacon_agent.trace import read_trace
from hub.client.events import Visit
from hub.keys import DEVICES
from tests.beacon_agent.conftest import stored


def test_same_seed_same_gallery_other_seed_other_gallery() -> None:
    a = list(itertools.islice(GallerySimulation(SimConfig(seed=5)).records(), 3000))
    b = list(itertools.islice(GallerySimulation(SimConfig(seed=5)).records(), 3000))
    c = list(itertools.islice(GallerySimulation(SimConfig(seed=6)).records(), 3000))
    assert a == b
    assert a != c
    assert all(x.t <= y.t for x, y in itertools.pairwise(a))


def test_gallery_has_rotating_phones_fixed_tags_with_telemetry_and_other_agents() -> None:
    sim = GallerySimulation(SimConfig(seed=2))
    records = list(sim.records(3600))
    kinds: Counter[str] = Counter()
    for r in records:
        frame = parse_advertisement(*r.payload())
        kinds[type(frame).__name__] += 1
    assert kinds["NoneType"] > 1000  # phones: unknown devices
    assert kinds["IBeacon"] > 1000 and kinds["EddystoneUid"] > 1000
    assert kinds["EddystoneTlm"] > 100
    # phones rotate: more addresses than visitors with a phone
    phones = {r.address for r in records if parse_advertisement(*r.payload()) is None}
    visitors_with_phone = {v.visitor for v in sim.truth if v.phone}
    assert len(phones) > len(visitors_with_phone)
    assert all(sim.owners[a] in visitors_with_phone for a in phones)
    # other rooms are heard through walls, weaker
    assert min(r.rssi for r in records) < -90 and max(r.rssi for r in records) > -60


def test_usage_errors_are_named() -> None:
    runner = CliRunner()
    result = runner.invoke(beacon, ["--simulate", "--speed", "0"])
    assert result.exit_code == 2 and "--duration" in result.output
    result = runner.invoke(beacon, ["--speed", "2"])
    assert result.exit_code == 2 and "--replay and --simulate" in result.output


async def test_simulation_recorded_then_replayed_gives_the_same_visits(
    loopback_hub: tuple[web.Application, TestServer], tmp_path: Path
) -> None:
    app, server = loopback_hub
    url = str(server.make_url("")).rstrip("/")
    recording = tmp_path / "sim.jsonl"
    code = await app[DEVICES].create_pairing_code("beacon", "sim", "zone-a")
    sent = await BeaconAgent(
        AgentOptions(
            state=tmp_path / "a1",
            hub_url=url,
            pair_code=code.code,
            name="sim",
            simulate=True,
            speed=0,
            duration=1800,
            seed=3,
            record=recording,
        )
    ).run()
    assert sent > 20
    assert recording.stat().st_mode & 0o777 == 0o600
    assert len(list(read_trace(recording))) > 10_000
    first = [e for e in stored(tmp_path / "hub" / "hub.db") if isinstance(e, Visit)]

    code = await app[DEVICES].create_pairing_code("beacon", "replay", "zone-a")
    await BeaconAgent(
        AgentOptions(
            state=tmp_path / "a2",
            hub_url=url,
            pair_code=code.code,
            name="replay",
            replay=recording,
            speed=0,
        )
    ).run()
    second = [e for e in stored(tmp_path / "hub" / "hub.db") if isinstance(e, Visit)]
    second = second[len(first) :]

    def key(v: Visit) -> tuple[object, ...]:
        return (v.visitor, v.samples, round(v.dwell_s, 1))

    assert sorted(map(key, first)) == sorted(map(key, second))
