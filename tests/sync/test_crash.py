"""A hub killed with SIGKILL at any moment while syncing: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from hub.client.events import utc_now
from hub.store import Store
from tests.sync.conftest import (
    SECRET,
    SITE,
    Faults,
    ingest,
    mixed_events,
    received,
    receiver_app,
)

# One sync pass in its own process, as a hub would run it (small batches, fast backoff).
DRIVER = """
import asyncio, sys
from pathlib import Path
from cimaise.settings import Settings
from hub.store import Store
from hub.sync.backoff import Backoff
from hub.sync.worker import SyncOptions, SyncWorker

async def main():
    settings = Settings(data=Path(sys.argv[1]), site=sys.argv[3], cloud_url=sys.argv[2],
                        cloud_secret=sys.argv[4])
    options = SyncOptions(max_count=25, backoff=Backoff(base=0.01, cap=0.05), timeout_s=0.5)
    async with Store(Path(sys.argv[1]) / "hub.db") as store:
        worker = SyncWorker(options)
        await worker.start(store, settings)
        for _ in range(200):
            await worker.drain()
            if worker.status.backlog == 0:
                break
            await asyncio.sleep(0.02)
        await worker.stop()

asyncio.run(main())
"""


@pytest.mark.slow
async def test_kill_9_during_sync_loses_nothing_and_stores_nothing_twice(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    async with Store(hub / "hub.db") as store:
        await ingest(store, mixed_events(1500, utc_now(), random.Random(1)))
        with store.read() as conn:
            expected = [r[0] for r in conn.execute("SELECT id FROM events ORDER BY seq")]
    cloud = tmp_path / "cloud"
    faults = Faults(p_error=0.2, p_drop_after_store=0.1, delay_s=0.03)
    server = TestServer(receiver_app(cloud, faults), host="127.0.0.1")
    await server.start_server()
    rng = random.Random(2)
    kills = 0
    try:
        for _ in range(40):
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                DRIVER,
                str(hub),
                str(server.make_url("/")),
                SITE,
                SECRET,
                env=dict(os.environ),
            )
            try:
                await asyncio.wait_for(proc.wait(), timeout=rng.uniform(0.6, 1.6))
            except TimeoutError:
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
                kills += 1
            if proc.returncode == 0:
                break
        else:
            raise AssertionError("the backlog was never sent")
    finally:
        await server.close()
    got = [r["id"] for r in received(cloud)]
    assert kills >= 2, "the test must really kill the process mid-sync"
    assert len(got) == len(set(got)), "an event was stored twice"
    assert got == expected  # every event, in cursor order
