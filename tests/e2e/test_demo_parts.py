"""The demo's own parts: its plan, its supervisor of child processes, its parsing."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from cimaise.demo import (
    DemoError,
    Supervisor,
    free_port,
    make_plan,
    parse_pairing_code,
    port_is_free,
    wait_http_ok,
)
from tests.faults.processes import child_env


def test_pairing_code_is_read_from_the_pair_command_output() -> None:
    assert parse_pairing_code("Pairing code (valid 10 minutes):\n  K7QM-3XPD\n") == "K7QM-3XPD"
    assert parse_pairing_code("H4C9TW2R\n") == "H4C9TW2R"
    with pytest.raises(DemoError):
        parse_pairing_code("no code here\n")


def test_plan_moves_the_hub_off_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        if port_is_free(8080):
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            taken.bind(("127.0.0.1", 8080))
            taken.listen()
        plan, notes = make_plan(tmp_path, None, headless=True, env={})
    assert plan.hub_port != 8080
    assert any("8080" in note for note in notes)
    assert plan.cloud_url.startswith("http://127.0.0.1:")
    assert plan.hub_url.startswith("http://127.0.0.1:")


def test_plan_has_no_kiosk_without_a_display_and_says_so(tmp_path: Path) -> None:
    plan, notes = make_plan(tmp_path, 18080, headless=False, env={})
    assert not plan.kiosk
    assert any("no display" in note for note in notes)
    plan, _ = make_plan(tmp_path, 18080, headless=True, env={"DISPLAY": ":99"})
    assert not plan.kiosk
    assert plan.password and plan.cloud_secret and plan.password != plan.cloud_secret


def test_a_required_child_that_stops_is_reported_with_its_log(tmp_path: Path) -> None:
    sup = Supervisor(tmp_path / "logs", child_env())
    # A receiver with no secret refuses to start: the demo must say why, from its log.
    sup.start("receiver", ["receiver", "--data", str(tmp_path / "r"), "--port", "1"])
    try:
        sup.children[0].proc.wait(timeout=30)
        with pytest.raises(DemoError, match="secret"):
            sup.check()
        assert sup.check() == [], "a stopped child is reported once"
    finally:
        sup.stop_all()


def test_supervisor_stops_every_child_on_sigterm(tmp_path: Path) -> None:
    sup = Supervisor(tmp_path / "logs", child_env({"CIMAISE_CLOUD_SECRET": "s"}))
    ports = [free_port(), free_port()]
    for stage, port in enumerate(ports):
        sup.start(
            f"receiver-{stage}",
            ["receiver", "--data", str(tmp_path / f"r{stage}"), "--port", str(port)],
            stage=stage,
        )
    try:
        for child, port in zip(sup.children, ports, strict=True):
            wait_http_ok(f"http://127.0.0.1:{port}/healthz", 30, child.proc)
    finally:
        sup.stop_all(timeout=10)
    assert all(child.proc.returncode is not None for child in sup.children)
    assert all(child.log.exists() for child in sup.children)


PARENT = """
import sys, time
from pathlib import Path
from cimaise.demo import Supervisor, wait_http_ok
sup = Supervisor(Path(sys.argv[1]), {**__import__("os").environ, "CIMAISE_CLOUD_SECRET": "s"})
child = sup.start("receiver", ["receiver", "--data", sys.argv[1] + "/r", "--port", sys.argv[2]])
wait_http_ok("http://127.0.0.1:" + sys.argv[2] + "/healthz", 30, child.proc)
print(child.proc.pid, flush=True)
time.sleep(120)
"""


def test_children_stop_when_the_demo_itself_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path), str(free_port())],
        env=child_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    child: psutil.Process | None = None
    try:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        assert child.is_running()
        parent.kill()  # no cleanup at all: only the kernel's death signal can help
        parent.wait(10)
        child.wait(timeout=15)
    finally:
        if child is not None and child.is_running():  # an orphan would escape the leak check
            child.kill()
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
