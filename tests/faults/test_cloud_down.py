"""The cloud down, then back (and its receiver killed mid-sync): every stored event reaches
the reference receiver exactly once; meanwhile the hub keeps them and says what failed."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from cimaise.demo import free_port, http_get
from hub.client.api import HubClient
from tests.faults.devices import interaction
from tests.faults.processes import (
    HOST,
    HubProcess,
    Program,
    child_env,
    received_ids,
    run_cimaise,
    stored_event_ids,
    wait_for,
)

SECRET = "fault-test-shared-secret"


def nudge(hub: HubProcess, cloud: Program, env: dict[str, str]) -> None:
    """Once the receiver answers, ask the hub to try now rather than after its backoff."""
    port = cloud.args[cloud.args.index("--port") + 1]
    wait_for(lambda: http_get(f"http://{HOST}:{port}/healthz")[0] == 200, 30, "receiver up")
    # Its exit code says whether that pass succeeded; the test checks the outcome itself.
    subprocess.run(
        [sys.executable, "-m", "cimaise", "hub", "sync", "now", "--data", str(hub.data)],
        env=child_env(env),
        capture_output=True,
        timeout=60,
        check=False,
    )


def receiver(data: Path, logs: Path, port: int) -> Program:
    return Program(
        "receiver",
        ["receiver", "--data", str(data), "--host", HOST, "--port", str(port)],
        logs,
        {"CIMAISE_CLOUD_SECRET": SECRET},
    )


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_cloud_outage_then_back_delivers_every_event_once(tmp_path: Path) -> None:
    port = free_port()
    sync_env = {
        "CIMAISE_CLOUD_URL": f"http://{HOST}:{port}/batches",
        "CIMAISE_CLOUD_SECRET": SECRET,
    }
    hub = HubProcess(tmp_path / "hub", tmp_path / "logs", env=sync_env)
    cloud = receiver(tmp_path / "receiver", tmp_path / "logs", port)
    await asyncio.to_thread(hub.start_and_wait)
    rng = random.Random(3)
    try:
        code = await asyncio.to_thread(hub.pair, "kiosk", "kiosk-cloud", "zone-a")
        async with HubClient(hub.url) as client:
            await client.enroll(code, "kiosk", "kiosk-cloud")

            async def send(n: int) -> None:
                for _ in range(n):
                    batch = [interaction("c10dd0e5") for _ in range(rng.randint(20, 80))]
                    await client.send_raw([body for _, body in batch])

            # The cloud is down: events are kept on the hub, the failure is reported.
            await send(10)
            await asyncio.sleep(3.0)
            status = await asyncio.to_thread(
                run_cimaise, ["hub", "sync", "status", "--data", str(hub.data)], sync_env
            )
            assert any(w in status.lower() for w in ("error", "connect", "fail")), status
            assert received_ids(tmp_path / "receiver") == []

            # The cloud comes back: the backlog drains.
            cloud.start()
            await asyncio.to_thread(nudge, hub, cloud, sync_env)
            await asyncio.to_thread(
                wait_for,
                lambda: len(received_ids(tmp_path / "receiver")) > 0,
                90,
                "first batch at the receiver",
            )
            # Killed mid-sync, then back again, while devices keep sending.
            await send(10)
            cloud.kill()
            await send(5)
            await asyncio.sleep(1.0)
            cloud.start()
            await asyncio.to_thread(nudge, hub, cloud, sync_env)
            stored = set(stored_event_ids(hub.db))
            await asyncio.to_thread(
                wait_for,
                lambda: set(received_ids(tmp_path / "receiver")) >= stored,
                120,
                "every stored event at the receiver",
            )
    finally:
        cloud.stop()
        hub.stop()
    received = received_ids(tmp_path / "receiver")
    twice = [i for i, n in Counter(received).items() if n > 1]
    assert not twice, f"{len(twice)} events reached the receiver twice"
    events = [i for i in received if i in stored]
    assert set(events) == stored
    print(f"cloud down/back: {len(stored)} events, each received once")
