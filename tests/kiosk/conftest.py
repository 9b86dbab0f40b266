"""Fixtures of the kiosk tests: an X server, a filled content cache, the app in a child process."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.client.credentials import Credentials, save_credentials
from kiosk.cache import ContentCache
from tests.kiosk.exhibition import build_exhibition

ROOT = Path(__file__).resolve().parents[2]
WINDOW = (1280, 800)


def closed_port() -> int:
    """A loopback port nobody listens on (a hub that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _free_display() -> int:
    for number in range(140, 400):
        if (
            not Path(f"/tmp/.X{number}-lock").exists()
            and not Path(f"/tmp/.X11-unix/X{number}").exists()
        ):
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private Xvfb screen of the kiosk's size, stopped after the module."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    for _attempt in range(5):
        number = _free_display()
        proc = subprocess.Popen(
            [
                "Xvfb",
                f":{number}",
                "-screen",
                "0",
                f"{WINDOW[0]}x{WINDOW[1]}x24",
                "-nolisten",
                "tcp",
                "-noreset",  # keep the server as clients come and go
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        if proc.poll() is None:
            break
    else:
        raise RuntimeError("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fill_cache(state: Path, version: str = "v1") -> None:
    """Put a complete exhibition in a kiosk's content cache, as a past download would."""
    cache = ContentCache(state / "content")
    manifest, raw, media = build_exhibition(version)
    for ref in cache.missing(manifest):
        cache.store_media(ref, media[ref.sha256])
    cache.stage(raw)
    cache.promote()


def remember_pairing(state: Path, hub_url: str) -> None:
    """Credentials as an earlier enrollment would have left them."""
    save_credentials(
        state, Credentials(device_id="k1", token="t" * 32, hub_url=hub_url, kind="kiosk", name="k")
    )


class KioskProcess:
    """The kiosk app in a child process, driven one JSON command at a time."""

    hub_url = ""  # the hub the test gave it, if any

    def __init__(self, display: str, state: Path, *args: str) -> None:
        env = {
            **os.environ,
            "DISPLAY": display,
            "KIVY_USE_DEFAULTCONFIG": "1",
            "KIVY_NO_CONSOLELOG": "1",
            "SDL_AUDIODRIVER": "dummy",  # no sound card here: SDL's silent output
            "PYTHONUNBUFFERED": "1",
        }
        self.stderr_path = state.parent / f"{state.name}-kiosk.err"
        self.stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.kiosk.harness", "--state", str(state), *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        self._buffer = b""
        self.ready = self._answer(60.0)

    def _answer(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                if line.startswith(b"@@"):
                    answer: dict[str, Any] = json.loads(line[2:])
                    return answer
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"kiosk did not answer; stderr:\n{self.log()[-3000:]}")
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError(f"kiosk exited; stderr:\n{self.log()[-3000:]}")
                self._buffer += chunk

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def send(self, cmd: str, timeout: float = 30.0, **args: Any) -> dict[str, Any]:
        """Run one command in the app; fails the test if the app reports an error."""
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
        self.proc.stdin.flush()
        answer = self._answer(timeout)
        assert answer.get("ok"), answer
        return answer

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError, TimeoutError, RuntimeError, AssertionError):
                self.send("quit", timeout=10)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.stderr.close()


@pytest.fixture(scope="module")
def kiosk_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state = tmp_path_factory.mktemp("kiosk") / "state"
    fill_cache(state)
    return state
