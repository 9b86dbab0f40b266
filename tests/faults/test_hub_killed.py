"""SIGKILL of the hub at random moments while several devices send: nothing acknowledged
is lost, nothing is stored twice, the database stays sound."""

from __future__ import annotations

import asyncio
import random
import re
from pathlib import Path

import pytest

from beacon_agent.simulate import GallerySimulation, SimConfig
from beacon_agent.trace import write_trace
from hub.client.api import HubClient
from tests.faults.devices import Ledger, run_device
from tests.faults.processes import HubProcess, Program, integrity, read_db, stored_event_ids

DEVICES = 4
ZONES = ("zone-a", "zone-b", "zone-c")


async def kill_rounds(tmp_path: Path, rounds: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    hub = HubProcess(tmp_path / "hub", tmp_path / "logs")
    await asyncio.to_thread(hub.start_and_wait)
    clients: list[HubClient] = []
    try:
        for n in range(DEVICES):
            code = await asyncio.to_thread(hub.pair, "kiosk", f"kiosk-{n}", "zone-a")
            client = HubClient(hub.url, timeout=5.0)
            await client.enroll(code, "kiosk", f"kiosk-{n}")
            clients.append(client)
        ledgers = [Ledger() for _ in clients]
        stop = asyncio.Event()
        senders = [
            asyncio.create_task(run_device(c, led, stop, random.Random(rng.random())))
            for c, led in zip(clients, ledgers, strict=True)
        ]
        for _ in range(rounds):
            # Let ingest run for a random while, then cut the hub off mid-flight.
            await asyncio.sleep(rng.uniform(0.05, 0.8))
            assert hub.running, hub.output()[-2000:]
            hub.kill()
            await asyncio.sleep(rng.uniform(0.0, 0.3))
            await asyncio.to_thread(hub.start_and_wait)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*senders), timeout=60)
    finally:
        for client in clients:
            await client.close()
        hub.stop()

    stored = stored_event_ids(hub.db)
    sent = set().union(*(led.sent for led in ledgers))
    acked = set().union(*(led.acked for led in ledgers))
    assert len(stored) == len(set(stored)), "an event is stored twice"
    assert acked <= set(stored), f"{len(acked - set(stored))} acknowledged events were lost"
    assert set(stored) <= sent, "the store holds events nobody sent"
    assert acked == sent, "every device delivered its last batch after the final restart"
    assert sum(led.rejected for led in ledgers) == 0
    # Each event was answered once, as accepted or as a duplicate of a commit whose reply
    # the kill swallowed.
    counted = sum(led.accepted + led.duplicates for led in ledgers)
    assert counted == len(stored)
    assert integrity(hub.db) == "ok"
    return {
        "rounds": rounds,
        "events": len(stored),
        "committed_before_reply_lost": sum(led.duplicates for led in ledgers),
        "failed_requests": sum(led.failures for led in ledgers),
    }


async def test_hub_killed_during_ingest_loses_nothing_acknowledged(tmp_path: Path) -> None:
    figures = await kill_rounds(tmp_path, rounds=3, seed=7)
    print("kill rounds:", figures)
    assert figures["events"] > 0


@pytest.mark.slow
async def test_hub_killed_many_times_keeps_every_acknowledged_event_once(tmp_path: Path) -> None:
    figures = await kill_rounds(tmp_path, rounds=12, seed=20261127)
    print("kill rounds:", figures)
    assert figures["failed_requests"] > 0, "the kills did not interrupt any request"


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_real_agents_deliver_every_event_through_hub_kills(tmp_path: Path) -> None:
    """The device side too: agents (outbox, backoff, re-enrolled links) replaying traces."""
    rng = random.Random(41)
    hub = HubProcess(tmp_path / "hub", tmp_path / "logs")
    await asyncio.to_thread(hub.start_and_wait)
    agents: list[Program] = []
    kills = 0
    try:
        for n, zone in enumerate(ZONES):
            trace = tmp_path / f"{zone}.jsonl"
            simulation = GallerySimulation(SimConfig(seed=31 + n, listen_zone=zone))
            write_trace(trace, simulation.records(1800.0))
            code = await asyncio.to_thread(hub.pair, "beacon", f"agent-{zone}", zone)
            agent = Program(
                f"agent-{zone}",
                [
                    "beacon",
                    "--replay",
                    str(trace),
                    "--speed",
                    "120",
                    "--pair",
                    code,
                    "--hub",
                    hub.url,
                    "--state",
                    str(tmp_path / zone),
                ],
                tmp_path / "logs",
                {},
            )
            agent.start()
            agents.append(agent)
        await asyncio.sleep(2.0)  # enrolled, keyed, counting
        while any(a.running for a in agents) and kills < 5:
            await asyncio.sleep(rng.uniform(0.5, 3.0))
            hub.kill()
            kills += 1
            await asyncio.sleep(rng.uniform(0.0, 1.0))
            await asyncio.to_thread(hub.start_and_wait)
        codes = [await asyncio.to_thread(a.wait, 240) for a in agents]
        assert codes == [0] * len(agents), [a.output()[-2000:] for a in agents]
    finally:
        for agent in agents:
            agent.stop()
        hub.stop()

    sent = {a.name: int(re.findall(r"done: (\d+) events", a.output())[-1]) for a in agents}
    with read_db(hub.db) as conn:
        stored = dict(
            conn.execute(
                "SELECT d.name, count(*) FROM events e JOIN devices d ON d.id = e.device_id "
                "GROUP BY d.name"
            ).fetchall()
        )
    ids = stored_event_ids(hub.db)
    assert len(ids) == len(set(ids))
    assert stored == sent, f"made by the agents {sent}, stored {stored}"
    assert kills >= 3
    assert integrity(hub.db) == "ok"
    print(f"agents through {kills} hub kills: {sent} events, each stored once")
