"""Where a display exists, the demo opens a kiosk window that pairs with its hub and shows the
exhibition; ``--duration`` stops the whole demo by itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cimaise.demo import free_port
from tests.faults.processes import child_env, read_db
from tests.kiosk.conftest import display  # noqa: F401 (the Xvfb fixture)


@pytest.mark.slow
@pytest.mark.display
@pytest.mark.timeout(240)
def test_demo_with_a_display_runs_a_paired_kiosk_and_stops_by_itself(
    tmp_path: Path,
    display: str,  # noqa: F811
) -> None:
    data = tmp_path / "demo"
    env = child_env({"DISPLAY": display, "SDL_AUDIODRIVER": "dummy", "KIVY_NO_CONSOLELOG": "1"})
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cimaise",
            "demo",
            "--duration",
            "25",
            "--data",
            str(data),
            "--port",
            str(free_port()),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "kiosk" in output and "stopped every part of the demo" in output
    assert "no kiosk window" not in output

    kiosk_log = (data / "logs" / "kiosk.log").read_text(errors="replace")
    assert "is now on screen" in kiosk_log, kiosk_log[-3000:]
    with read_db(data / "hub" / "hub.db") as conn:
        kiosks = conn.execute("SELECT name, last_seen FROM devices WHERE kind = 'kiosk'").fetchall()
    assert len(kiosks) == 1
    name, last_seen = kiosks[0]
    assert name == "Demo kiosk" and last_seen, "the kiosk enrolled and sent a heartbeat"
