"""A hub killed with SIGKILL while devices send: every acknowledged event survives, once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp

from cimaise.errors import HubUnreachableError
from hub.client.api import HubClient, HubRequestError
from hub.client.events import Event
from tests.client.factories import interaction, visit
from tests.hub.conftest import free_port

CIMAISE = [sys.executable, "-m", "cimaise"]


def start_hub(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            *CIMAISE,
            "hub",
            "--data",
            str(data),
            "--content",
            str(data / "none"),
            "--port",
            str(port),
            "--site",
            "crash",
            "--no-zeroconf",
            "--log-level",
            "WARNING",
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def wait_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            assert proc.poll() is None, "the hub exited"
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise AssertionError("hub did not become healthy")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def sender(
    client: HubClient, acked: list[str], sent: list[list[Event]], stop_event: asyncio.Event
) -> None:
    while not stop_event.is_set():
        batch: list[Event] = [interaction() if i % 2 else visit() for i in range(20)]
        sent.append(batch)
        try:
            reply = await client.send_events(batch)
        except (HubUnreachableError, HubRequestError):
            return
        assert reply.accepted + reply.duplicates == len(batch)
        acked.extend(e.id for e in batch)


async def test_sigkilled_hub_keeps_every_acknowledged_event_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "hub.log"
    proc = start_hub(data, port, log)
    try:
        await wait_healthy(url, proc)
        tokens = []
        for i in range(4):
            pair = subprocess.run(
                [
                    *CIMAISE,
                    "hub",
                    "pair",
                    "--data",
                    str(data),
                    "--kind",
                    "kiosk",
                    "--name",
                    f"kiosk-{i}",
                ],
                capture_output=True,
                check=True,
                timeout=30,
            )
            async with HubClient(url) as enrolling:
                tokens.append(
                    (
                        await enrolling.enroll(
                            pair.stdout.decode().split()[0], "kiosk", f"kiosk-{i}"
                        )
                    ).token
                )
        acked: list[str] = []
        sent: list[list[Event]] = []
        for _round in range(3):
            stop_event = asyncio.Event()
            clients = [HubClient(url, t, timeout=5) for t in tokens]
            tasks = [asyncio.create_task(sender(c, acked, sent, stop_event)) for c in clients]
            before = len(acked)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while len(acked) < before + 400 and loop.time() < deadline:
                await asyncio.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)  # in the middle of the traffic
            proc.wait()
            stop_event.set()
            await asyncio.wait_for(asyncio.gather(*tasks), 20)
            for c in clients:
                await c.close()
            assert len(acked) > before, "no batch was acknowledged before the kill"
            proc = start_hub(data, port, log)
            await wait_healthy(url, proc)

        # Devices resend what they could not see acknowledged (their outbox keeps it).
        async with HubClient(url, tokens[0]) as client:
            for batch in sent:
                await client.send_events(batch)
    finally:
        stop(proc)

    conn = sqlite3.connect(data / "hub.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = [r[0] for r in conn.execute("SELECT id FROM events")]
    finally:
        conn.close()
    assert len(stored) == len(set(stored)), "an event was stored twice"
    missing = set(acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events lost"
    assert set(stored) == {e.id for batch in sent for e in batch}
