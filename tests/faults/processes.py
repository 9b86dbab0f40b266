"""Cimaise programs as real subprocesses for the fault and end-to-end tests.

Each test starts what it needs (hub, receiver, agents), kills or stops it on purpose, and
always stops it at the end (the suite's leak check fails a test that leaves one running).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from cimaise.demo import free_port, http_get, parse_pairing_code

HOST = "127.0.0.1"
# Everything in these tests is on loopback: no request may be routed to a proxy.
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy"}


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll until predicate() is true; the seconds it took, or AssertionError naming ``what``."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - start


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: no user settings, unbuffered output, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CIMAISE_") and k.lower() not in PROXY_VARIABLES
    }
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra or {})
    return env


def run_cimaise(args: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """Run a short ``cimaise`` command to completion; its stdout (fails the test otherwise)."""
    result = subprocess.run(
        [sys.executable, "-m", "cimaise", *args],
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"cimaise {' '.join(args)}: {result.stderr}{result.stdout}"
    return result.stdout


class Program:
    """One ``cimaise ...`` process with its output in a log file."""

    def __init__(self, name: str, args: Sequence[str], log_dir: Path, env: Mapping[str, str]):
        self.name = name
        self.args = list(args)
        self.log = log_dir / f"{name}.log"
        self.env = dict(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} runs already"
        self._close_log()
        self._log_file = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cimaise", *self.args],
            env=child_env(self.env),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, as a power cut or the OOM killer would."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_log()
        return self.proc.returncode

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout=timeout)
        self._close_log()
        return code

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


class HubProcess(Program):
    """``cimaise hub`` on a loopback port, with its data folder."""

    def __init__(
        self,
        data: Path,
        log_dir: Path,
        *,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        zeroconf: bool = False,
        site: str = "faults",
    ) -> None:
        self.data = data
        self.port = port or free_port()
        settings = {"CIMAISE_ZEROCONF": "true" if zeroconf else "false", **(env or {})}
        super().__init__(
            "hub",
            ["hub", "--data", str(data), "--host", HOST, "--port", str(self.port), "--site", site],
            log_dir,
            settings,
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def db(self) -> Path:
        return self.data / "hub.db"

    def start_and_wait(self, timeout: float = 60.0) -> float:
        """Start and wait for /healthz to answer 200; the seconds it took."""
        self.start()

        def up() -> bool:
            assert self.running, f"hub exited early:\n{self.output()[-3000:]}"
            return http_get(f"{self.url}/healthz", 1.0)[0] == 200

        return wait_for(up, timeout, "hub answering /healthz")

    def pair(self, kind: str, name: str, zone: str | None = None) -> str:
        """A pairing code from ``cimaise hub pair`` (the CLI a technician uses)."""
        args = ["hub", "pair", "--data", str(self.data), "--kind", kind, "--name", name]
        if zone:
            args += ["--zone", zone]
        return parse_pairing_code(run_cimaise(args))


@contextlib.contextmanager
def read_db(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a program's SQLite file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    try:
        yield conn
    finally:
        conn.close()


def stored_event_ids(hub_db: Path) -> list[str]:
    """Every event id in the hub's store, duplicates included (there must be none)."""
    with read_db(hub_db) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM events ORDER BY seq")]


def integrity(path: Path) -> str:
    """SQLite's own verdict on a database file ('ok' when sound)."""
    conn = sqlite3.connect(path, timeout=5.0)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def received_records(receiver_dir: Path) -> list[dict[str, Any]]:
    """Every record the reference receiver stored, in arrival order (its export function)."""
    from hub.sync.receiver import read_records

    if not (receiver_dir / "receiver.db").exists():
        return []
    try:
        return [json.loads(line) for _, line in read_records(receiver_dir)]
    except sqlite3.OperationalError:  # created but not yet set up by the receiver
        return []


def received_ids(receiver_dir: Path) -> list[str]:
    """Every record id the reference receiver stored (duplicates included)."""
    return [str(record["id"]) for record in received_records(receiver_dir)]


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
