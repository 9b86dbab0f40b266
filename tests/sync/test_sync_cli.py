"""``cimaise hub sync status|now`` against a real database, receiver and worker."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from click.testing import CliRunner

from hub.client.events import utc_now
from hub.store import Store
from hub.sync.cli import sync
from tests.sync.conftest import (
    FAST,
    SECRET,
    SITE,
    Faults,
    ingest,
    mixed_events,
    received,
    settings,
    start_worker,
    wait_for,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def receiver_process(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    data = tmp_path / "cloud"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cimaise", "receiver", "--data", str(data), "--port", str(port)],
        env={**os.environ, "CIMAISE_CLOUD_SECRET": SECRET},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "receiver down"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/", data
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _env(url: str | None, data: Path) -> dict[str, str]:
    env = {"CIMAISE_DATA": str(data), "CIMAISE_SITE": SITE, "CIMAISE_CLOUD_SECRET": SECRET}
    if url:
        env["CIMAISE_CLOUD_URL"] = url
    return env


def test_status_without_a_hub_database_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(sync, ["status", "--data", str(tmp_path)])
    assert result.exit_code == 1 and "no hub database" in result.output


def test_now_without_a_running_hub_syncs_from_the_command_line(
    tmp_path: Path, receiver_process: tuple[str, Path]
) -> None:
    url, cloud = receiver_process
    hub = tmp_path / "hub"

    async def prepare() -> None:
        async with Store(hub / "hub.db") as store:
            await ingest(store, mixed_events(120, utc_now(), random.Random(1)))

    asyncio.run(prepare())
    runner = CliRunner()
    result = runner.invoke(sync, ["now"], env=_env(url, hub))
    assert result.exit_code == 0, result.output
    assert "no hub is running" in result.output and "backlog: 0 events" in result.output
    assert len(received(cloud)) == 120
    result = runner.invoke(sync, ["status", "--json"], env=_env(url, hub))
    report = json.loads(result.output)
    assert report["backlog"] == 0 and report["sent_records"] == 120
    assert report["worker_running"] is False and report["parked"] == 0


def test_now_reports_a_failure_with_a_nonzero_exit(tmp_path: Path) -> None:
    hub = tmp_path / "hub"

    async def prepare() -> None:
        async with Store(hub / "hub.db") as store:
            await ingest(store, mixed_events(3, utc_now(), random.Random(2)))

    asyncio.run(prepare())
    url = f"http://127.0.0.1:{_free_port()}/"  # nobody listens
    result = CliRunner().invoke(sync, ["now"], env=_env(url, hub))
    assert result.exit_code == 1
    assert "cannot connect" in result.output and "backlog: 3 events" in result.output
    result = CliRunner().invoke(sync, ["now"], env=_env(None, hub))
    assert result.exit_code == 1 and "sync is off" in result.output


async def test_now_reaches_a_running_hub_through_its_database(
    tmp_path: Path, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, faults, cloud = running_receiver
    faults.status_for = lambda body: 503
    hub = tmp_path / "hub"
    async with Store(hub / "hub.db") as store:
        await ingest(store, mixed_events(20, utc_now(), random.Random(3)))
        worker = start_worker(
            FAST.__class__(backoff=FAST.backoff.__class__(base=600, cap=600), poll_s=0.05)
        )
        await worker.start(store, settings(str(server.make_url("/"))))
        worker.launch()
        try:
            await wait_for(lambda: worker.status.failures == 1)
            await asyncio.sleep(0.1)  # one heartbeat after the failure
            faults.status_for = lambda body: None
            env = {**os.environ, **_env(str(server.make_url("/")), hub)}
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                "from hub.sync.cli import sync; sync(['now', '--wait', '20'])",
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await asyncio.wait_for(proc.communicate(), 60)
        finally:
            await worker.stop()
    text = out.decode()
    assert proc.returncode == 0, text
    assert "asked the running hub" in text
    assert len(received(cloud)) == 20
