"""``cimaise phone --replay``: the real command, its own window, clock and replay task."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from phone import pack
from tests.phone.conftest import REPO, hub_url
from tests.phone.test_app import walk_trace

pytestmark = pytest.mark.display

SPEED = 8.0  # a stop at an artwork lasts 2.5 s of wall time: room for a busy CI


async def test_phone_command_replays_a_trace_through_the_card(
    demo_hub: TestServer, xvfb: str, tmp_path: Path
) -> None:
    state = tmp_path / "phone"
    await pack.refresh(pack.PackCache(state), hub_url(demo_hub))
    _, truth, _ = await walk_trace(demo_hub, tmp_path / "walk.jsonl")
    trace_s = max(
        float(line.split(b'"t":')[1].split(b",")[0])
        for line in (tmp_path / "walk.jsonl").read_bytes().splitlines()
    )
    env = {
        **os.environ,
        "DISPLAY": xvfb,
        "KIVY_NO_ARGS": "1",
        "KIVY_USE_DEFAULTCONFIG": "1",
        "KIVY_HOME": str(tmp_path / "kivy"),
        "SDL_AUDIODRIVER": "dummy",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cimaise",
        "phone",
        "--state",
        str(state),
        "--hub",
        "http://127.0.0.1:9",
        "--replay",
        str(tmp_path / "walk.jsonl"),
        "--speed",
        str(SPEED),
        "--no-scan",
        "--log-level",
        "debug",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(trace_s / SPEED + 60):
            while True:
                raw = await proc.stdout.readline()
                if not raw:
                    break
                lines.append(raw.decode(errors="replace"))
                if "replayed:" in lines[-1]:
                    break
            # The card leaves the last artwork a few seconds of trace time after the end.
            await asyncio.sleep(12.0 / SPEED + 1.0)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(proc.communicate(), 30)
        lines.extend(rest.decode(errors="replace").splitlines())
    cards = [m.group(1) for line in lines if (m := re.search(r"near you: (\S+)", line))]
    assert cards == [a or "nothing" for a in truth[1:]], "".join(lines)[-3000:]
