"""Fixtures of the phone tests: an Xvfb display, a real hub on loopback, the app driver."""

from __future__ import annotations

import asyncio
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from cimaise.settings import Settings, demo_content_dir
from hub.app import create_app
from hub.content.library import ContentLibrary
from hub.keys import CONTENT

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def xvfb() -> Iterator[str]:
    """A private Xvfb display for the test, stopped afterwards.

    Xvfb picks a free display number itself (``-displayfd``) and writes it once it
    accepts clients, so parallel runs on one machine never race for a number.
    """
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            ready, _, _ = select.select([pipe], [], [], 10)
            number = pipe.readline().strip() if ready else b""
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number.decode()}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def content_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One derivative cache for the session: the demo's images are resized once."""
    return tmp_path_factory.mktemp("content-cache")


async def start_hub(data: Path, content: Path, cache: Path) -> TestServer:
    """A real hub (create_app) on 127.0.0.1 with its content published."""
    settings = Settings(data=data, content=content, zeroconf=False)
    app = create_app(settings, library=ContentLibrary(content, cache))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    deadline = time.monotonic() + 60
    while app[CONTENT].current is None:
        if time.monotonic() > deadline:
            await server.close()
            raise TimeoutError("the hub did not publish its content")
        await asyncio.sleep(0.05)
    return server


@pytest.fixture
async def demo_hub(tmp_path: Path, content_cache: Path) -> AsyncIterator[TestServer]:
    server = await start_hub(tmp_path / "hub", demo_content_dir(), content_cache)
    yield server
    await server.close()


def hub_url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


async def drive_app(display: str, tmp: Path, *args: str, timeout: float = 180) -> dict[str, Any]:
    """Run the real app in a subprocess on ``display`` through the driver; its JSON result."""
    out = tmp / f"drive-{time.monotonic_ns()}.json"
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1", "KIVY_USE_DEFAULTCONFIG": "1"}
    env["KIVY_HOME"] = str(tmp / "kivy-home")
    env["SDL_AUDIODRIVER"] = "dummy"  # no sound card here: SDL's silent output
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.phone.drive_app",
        "--out",
        str(out),
        *args,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, output.decode(errors="replace")[-4000:]
    result: dict[str, Any] = json.loads(out.read_text())
    result["log"] = output.decode(errors="replace")
    return result
