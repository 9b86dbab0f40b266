"""``cimaise demo``: a whole gallery on this machine, on loopback only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import click

from cimaise.errors import CimaiseError


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_http_ok(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll url until it answers 2xx; fail early if proc exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise CimaiseError(f"{url}: the process serving it exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback URL we built)
                if 200 <= response.status < 300:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise CimaiseError(f"{url} did not answer within {timeout:.0f} s")


@click.command()
@click.option("--headless", is_flag=True, help="No kiosk window, even where a display exists.")
@click.option(
    "--duration", type=float, default=None, help="Stop by itself after this many seconds."
)
@click.option(
    "--port", type=int, default=None, help="Hub port (default 8080, or a free one if taken)."
)
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo's files here (default: a temporary folder).",
)
def demo(headless: bool, duration: float | None, port: int | None, data: Path | None) -> None:
    """Run a whole gallery on this machine: hub, demo exhibition, beacon agents, kiosk."""
    with tempfile.TemporaryDirectory(prefix="cimaise-demo-") as tmp:
        root = data or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        host = "127.0.0.1"
        if port is None:
            port = 8080
            with socket.socket() as sock:
                if sock.connect_ex((host, port)) == 0:
                    port = free_port(host)
        hub_url = f"http://{host}:{port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        procs: list[subprocess.Popen[bytes]] = []
        try:
            hub_proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cimaise",
                    "hub",
                    "--data",
                    str(root / "hub"),
                    "--host",
                    host,
                    "--port",
                    str(port),
                    "--site",
                    "demo",
                ],
                env=env,
            )
            procs.append(hub_proc)
            wait_http_ok(f"{hub_url}/healthz", 30, hub_proc)
            click.echo(
                f"Cimaise demo is running.\n  hub:    {hub_url}/\n  guide:  {hub_url}/guide/"
            )
            click.echo(
                "Press Ctrl-C to stop." if duration is None else f"Stopping in {duration:.0f} s."
            )
            deadline = None if duration is None else time.monotonic() + duration
            while deadline is None or time.monotonic() < deadline:
                for proc in procs:
                    if proc.poll() is not None:
                        raise CimaiseError(f"a demo process exited with code {proc.returncode}")
                time.sleep(0.2)
        except KeyboardInterrupt:
            click.echo("Stopping.")
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
