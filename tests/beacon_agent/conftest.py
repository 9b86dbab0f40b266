"""Fixtures of the beacon agent's tests: a fake BlueZ on a private D-Bus daemon."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from dbus_fast import BusType, Message
from dbus_fast.aio import MessageBus

from cimaise.settings import Settings
from hub.app import create_app
from hub.client.events import Occupancy, Visit, decode_event
from hub.devices.keyring import KeyRing
from hub.keys import KEYRING

#: the hub's pseudonym key in these tests (known, to compute the expected pseudonyms)
SECRET = bytes(range(32))
ADAPTER_ADDRESS = "00:AA:01:00:00:01"
SCANNER_ADDRESS = "00:AA:01:00:00:02"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def private_system_bus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A dbus-daemon of the test's own, set as the system bus for the code under test."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed")
    proc = subprocess.Popen(
        ["dbus-daemon", "--session", "--print-address=1", "--nofork", "--nopidfile"],
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().decode().strip()
        assert address.startswith("unix:"), address
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
        yield address
    finally:
        _stop(proc)


@pytest.fixture
async def fake_bluez(private_system_bus: str, tmp_path: Path) -> AsyncIterator[str]:
    """bluezoo serving org.bluez with two adapters (hci0 off, hci1 on) on the private bus."""
    log = (tmp_path / "bluezoo.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from bluezoo.bluezoo import main; main()",
            "-v",
            "--scan-interval",
            "1",
            "-a",
            ADAPTER_ADDRESS,
            "-a",
            SCANNER_ADDRESS,
        ],
        env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": private_system_bus},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    try:
        deadline = time.monotonic() + 15
        while True:
            reply = await bus.call(
                Message(
                    destination="org.freedesktop.DBus",
                    path="/org/freedesktop/DBus",
                    interface="org.freedesktop.DBus",
                    member="NameHasOwner",
                    signature="s",
                    body=["org.bluez"],
                )
            )
            if reply is not None and reply.body and reply.body[0]:
                break
            assert proc.poll() is None, (tmp_path / "bluezoo.log").read_text()
            assert time.monotonic() < deadline, "bluezoo did not start"
            await asyncio.sleep(0.05)
        yield str(tmp_path / "bluezoo.log")
    finally:
        bus.disconnect()
        _stop(proc)
        log.close()


@pytest.fixture
async def loopback_hub(aiohttp_server, tmp_path: Path) -> tuple[web.Application, TestServer]:  # type: ignore[no-untyped-def]
    settings = Settings(
        data=tmp_path / "hub", content=tmp_path / "no-content", site="test", zeroconf=False
    )
    app = create_app(settings)
    app[KEYRING] = KeyRing(lambda n: SECRET[:n])  # a known key, to compute the expected events
    server = await aiohttp_server(app, host="127.0.0.1")
    return app, server


def stored(db: Path) -> list[Visit | Occupancy]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT body FROM events ORDER BY seq").fetchall()
    out = []
    for (body,) in rows:
        event = decode_event(body.encode() if isinstance(body, str) else body)
        assert isinstance(event, Visit | Occupancy)
        out.append(event)
    return out
