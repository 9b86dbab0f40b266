"""The hub stops and comes back (same address, new key) while an agent replays: nothing the
agent made is lost, nothing is stored twice."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from beacon_agent.agent import AgentOptions, BeaconAgent
from beacon_agent.simulate import GallerySimulation, SimConfig
from beacon_agent.trace import write_trace
from cimaise.settings import Settings
from hub.app import create_app
from hub.keys import DEVICES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
async def test_events_made_while_the_hub_is_down_arrive_once_it_is_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    trace = tmp_path / "trace.jsonl"
    write_trace(trace, GallerySimulation(SimConfig(seed=9)).records(1800))
    port = free_port()
    settings = Settings(
        data=tmp_path / "hub", content=tmp_path / "no-content", site="t", zeroconf=False
    )
    first = TestServer(create_app(settings), host="127.0.0.1", port=port)
    await first.start_server()
    second: TestServer | None = None
    try:
        code = await first.app[DEVICES].create_pairing_code("beacon", "agent", "zone-a")
        agent = BeaconAgent(
            AgentOptions(
                state=tmp_path / "agent",
                hub_url=f"http://127.0.0.1:{port}",
                pair_code=code.code,
                name="agent",
                replay=trace,
                speed=450,
                heartbeat_s=0.3,
            )
        )
        task = asyncio.create_task(agent.run())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while agent.sent == 0:  # events reached the outbox (and some the hub)
            assert not task.done() and loop.time() < deadline
            await asyncio.sleep(0.05)
        await first.close()  # the hub goes away for a while
        await asyncio.sleep(1.5)
        assert not task.done()
        second = TestServer(create_app(settings), host="127.0.0.1", port=port)
        await second.start_server()
        sent = await asyncio.wait_for(task, 60)
    finally:
        await first.close()
        if second is not None:
            await second.close()
    with sqlite3.connect(f"file:{tmp_path / 'hub' / 'hub.db'}?mode=ro", uri=True) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM events")]
    assert "hub link offline" in caplog.text  # the agent did see the hub gone
    assert sent > 20
    assert len(ids) == len(set(ids)) == sent
