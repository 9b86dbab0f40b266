"""``cimaise kiosk`` as systemd runs it: starts, shows its window, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cimaise.cli import cli
from tests.kiosk.conftest import ROOT, closed_port, fill_cache, remember_pairing

pytestmark = pytest.mark.display


def test_help_names_every_flag_without_importing_kivy() -> None:
    result = CliRunner().invoke(cli, ["kiosk", "--help"])
    assert result.exit_code == 0
    for flag in ("--fullscreen", "--hub", "--pair", "--state", "--idle-timeout"):
        assert flag in result.output
    check = subprocess.run(
        [sys.executable, "-c", "import sys, kiosk.cli; print('kivy' in sys.modules)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip() == "False"


def test_kiosk_command_runs_from_its_cache_and_stops_cleanly_on_sigterm(
    display: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    fill_cache(state)
    dead_hub = f"http://127.0.0.1:{closed_port()}"
    remember_pairing(state, dead_hub)
    log = tmp_path / "kiosk.log"
    env = {**os.environ, "DISPLAY": display, "SDL_AUDIODRIVER": "dummy"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cimaise", "kiosk", "--state", str(state), "--hub", dead_hub],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while "hub link" not in log.read_text() and time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.1)
            assert "showing cached content v1" in log.read_text()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log.read_text()
    assert "hub link stopped" in text
    assert "Traceback" not in text
