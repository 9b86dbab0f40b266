"""``cimaise demo``: a whole gallery on this machine, on loopback only.

The demo runs every program as its own process, exactly as a gallery runs them on its Pis:
a reference cloud receiver, the hub (demo exhibition, cloud sync on), three simulated beacon
agents (one per zone) that find the hub by zeroconf on the loopback interface and enroll with
pairing codes the demo makes, and a kiosk window when a display exists. Children write their
logs to files in the demo folder; the terminal shows what runs, the URLs, the technician login
and the gallery's milestones (agents online, visitors counted, first events synced).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

import click

from cimaise.errors import CimaiseError

HOST = "127.0.0.1"
ZONES = ("zone-a", "zone-b", "zone-c")
TECHNICIAN = "technician"
WEB_PATH = "/admin/"
RECEIVER_DB = "receiver.db"
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy"}
ONLINE_WINDOW_S = 90.0  # a device seen this recently counts as online
PAIR_CODE = re.compile(r"\b([A-Z0-9]{4,12}(?:-[A-Z0-9]{2,12})?)\b")


class DemoError(CimaiseError):
    """Raised when a part of the demo cannot start or stops on its own."""


class DemoStop(Exception):
    """Raised in the main thread by SIGTERM/SIGINT to stop the demo cleanly."""


# --- ports and polling ---------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a server can listen on host:port now (as aiohttp binds: SO_REUSEADDR)."""
    with socket.socket() as sock:
        # Without it, the TIME_WAIT connections of a demo that just stopped would make a
        # port look taken that the hub can bind.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


# No proxy, whatever http_proxy says: the demo's URLs are on loopback and must stay there.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET a loopback URL; (status, body), status 0 when nothing answered."""
    try:
        with _DIRECT.open(url, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, b""


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    alive: Callable[[], None] | None = None,
    interval: float = 0.1,
) -> float:
    """Poll predicate until true; returns the seconds it took. ``alive`` raises if a part died."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        if alive is not None:
            alive()
        if predicate():
            return time.monotonic() - start
        if time.monotonic() >= deadline:
            raise DemoError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(interval)


def wait_http_ok(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll url until it answers 2xx; fail early if proc exits."""

    def alive() -> None:
        if proc is not None and proc.poll() is not None:
            raise DemoError(f"{url}: the process serving it exited with code {proc.returncode}")

    wait_until(lambda: 200 <= http_get(url, 1.0)[0] < 300, timeout, f"{url} answering", alive)


# --- child processes -----------------------------------------------------------------------


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec function asking Linux to SIGTERM the child when the demo dies (even by
    SIGKILL), or None where that is not available. libc is found here, in the parent: the
    child between fork and exec must do as little as possible."""
    if sys.platform != "linux":
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_death_signal() -> None:  # pragma: no cover (runs in the child before exec)
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_death_signal


@dataclass
class Child:
    """One program of the demo, running."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    required: bool
    stage: int  # stopped before every child of a lower stage
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    def tail(self, lines: int = 15) -> str:
        """The last lines of its log, to explain a failure."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Supervisor:
    """Starts the demo's programs, notices when one stops, stops them all in reverse order."""

    def __init__(self, log_dir: Path, env: Mapping[str, str]) -> None:
        self.log_dir = log_dir
        self.env = dict(env)
        self.children: list[Child] = []
        self.lost: set[str] = set()

    def start(
        self,
        name: str,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        required: bool = True,
        stage: int = 0,
    ) -> Child:
        """Run ``cimaise ARGS`` in a session of its own, its output in ``<logs>/<name>.log``."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        log_file = log.open("ab")
        argv = [sys.executable, "-m", "cimaise", *args]
        proc = subprocess.Popen(
            argv,
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # Own session: a terminal's Ctrl-C reaches the demo only, which then stops the
            # children in order (agents flush their outboxes before the hub goes).
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
        child = Child(name, proc, log, required, stage, log_file)
        self.children.append(child)
        return child

    def check(self) -> list[Child]:
        """Children that stopped since the last check; raises if a required one did."""
        stopped = []
        for child in self.children:
            if child.name in self.lost or child.proc.poll() is None:
                continue
            self.lost.add(child.name)
            stopped.append(child)
            if child.required:
                raise DemoError(
                    f"{child.name} stopped with code {child.proc.returncode}; "
                    f"its log ({child.log}) ends with:\n{child.tail()}"
                )
        return stopped

    def stop_all(self, timeout: float = 15.0) -> None:
        """SIGTERM the children stage by stage (devices, hub, receiver), SIGKILL stragglers."""
        for stage in sorted({c.stage for c in self.children}, reverse=True):
            group = [c for c in self.children if c.stage == stage]
            for child in group:
                if child.proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        child.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            for child in group:
                try:
                    child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.proc.kill()
                    child.proc.wait()
                if child._log_file is not None:
                    child._log_file.close()
                    child._log_file = None


# --- running cimaise commands to completion ------------------------------------------------


def run_cimaise(args: Sequence[str], env: Mapping[str, str], timeout: float = 60.0) -> str:
    """Run a short ``cimaise`` command; its stdout, or DemoError with its stderr."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "cimaise", *args],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise DemoError(f"'cimaise {' '.join(args[:3])}' took over {timeout:.0f} s") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise DemoError(f"'cimaise {' '.join(args[:3])}' failed: {' '.join(detail[-3:])}")
    return result.stdout


def parse_pairing_code(output: str) -> str:
    """The pairing code in ``cimaise hub pair`` output (its last code-like word)."""
    for line in reversed(output.strip().splitlines()):
        words = PAIR_CODE.findall(line.strip())
        if words:
            return str(words[-1])
    raise DemoError(f"no pairing code in: {output.strip()[:200]!r}")


# --- what the demo watches -----------------------------------------------------------------


@contextlib.contextmanager
def read_only(db: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to another program's SQLite file (it may not exist yet)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0)
    try:
        conn.execute("PRAGMA query_only = 1")
        yield conn
    finally:
        conn.close()


def _count(db: Path, sql: str, params: Sequence[object] = ()) -> int:
    if not db.exists():
        return 0
    try:
        with read_only(db) as conn:
            row = conn.execute(sql, tuple(params)).fetchone()
    except sqlite3.Error:
        return 0  # not created yet, or busy: ask again on the next poll
    return int(row[0] or 0) if row else 0


def agents_online(hub_db: Path, window_s: float = ONLINE_WINDOW_S) -> int:
    """Beacon agents that sent a heartbeat within the window."""
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - window_s))
    return _count(
        hub_db,
        "SELECT count(*) FROM devices WHERE kind = 'beacon' AND revoked IS NULL AND last_seen >= ?",
        (since,),
    )


def visitor_events(hub_db: Path) -> int:
    """Visit and occupancy events the hub has stored."""
    return _count(hub_db, "SELECT count(*) FROM events WHERE type IN ('visit', 'occupancy')")


def received_records(receiver_dir: Path) -> int:
    """Records the reference receiver has stored (0 until its database exists)."""
    return _count(receiver_dir / RECEIVER_DB, "SELECT coalesce(sum(records), 0) FROM batches")


# --- the demo ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPlan:
    """Where everything goes and who listens where."""

    root: Path
    hub_port: int
    receiver_port: int
    cloud_secret: str
    password: str
    kiosk: bool
    # Agents pick the hub of their site among those announced on loopback: one site per run,
    # so a second demo or a test's hub on this machine is never joined by mistake.
    site: str = field(default_factory=lambda: f"demo-{secrets.token_hex(3)}")

    @property
    def hub_url(self) -> str:
        return f"http://{HOST}:{self.hub_port}"

    @property
    def hub_data(self) -> Path:
        return self.root / "hub"

    @property
    def hub_db(self) -> Path:
        return self.hub_data / "hub.db"

    @property
    def receiver_data(self) -> Path:
        return self.root / "receiver"

    @property
    def receiver_url(self) -> str:
        return f"http://{HOST}:{self.receiver_port}"

    @property
    def cloud_url(self) -> str:
        return f"{self.receiver_url}/batches"

    def agent_state(self, zone: str) -> Path:
        return self.root / "agents" / zone

    @property
    def kiosk_state(self) -> Path:
        return self.root / "kiosk"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def display_available(env: Mapping[str, str]) -> bool:
    """Whether a window can be shown (an X or Wayland display is set)."""
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def make_plan(
    root: Path, port: int | None, headless: bool, env: Mapping[str, str]
) -> tuple[DemoPlan, list[str]]:
    """Choose ports and secrets; the notes say what was chosen and why."""
    notes: list[str] = []
    if port is None:
        port = 8080
        if not port_is_free(port):
            port = free_port()
            notes.append(f"port 8080 is taken: the hub listens on {port}")
    kiosk = not headless and display_available(env)
    if kiosk and importlib.util.find_spec("kivy") is None:
        kiosk = False
        notes.append("no kiosk window: Kivy is not installed (pip install 'cimaise[kiosk]')")
    elif not headless and not kiosk:
        notes.append("no kiosk window: no display (DISPLAY/WAYLAND_DISPLAY not set)")
    plan = DemoPlan(
        root=root,
        hub_port=port,
        receiver_port=free_port(),
        cloud_secret=secrets.token_urlsafe(32),
        password=secrets.token_urlsafe(12),
        kiosk=kiosk,
    )
    return plan, notes


def _say(start: float, message: str) -> None:
    click.echo(f"[{time.monotonic() - start:5.1f} s] {message}")


def run_demo(plan: DemoPlan, duration: float | None, env: Mapping[str, str]) -> None:
    """Start the gallery, report its milestones, run until stopped or ``duration`` ends."""
    start = time.monotonic()
    # The demo stays on this machine: no Cimaise setting of the user's (a config file, a hub
    # or cloud URL) reaches a child, and devices look for the hub by zeroconf on the
    # loopback interface only.
    # Proxies are dropped too: every URL of the demo is on loopback.
    base_env = {
        k: v
        for k, v in env.items()
        if not k.startswith("CIMAISE_") and k.lower() not in PROXY_VARIABLES
    }
    base_env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "CIMAISE_HOST": HOST,
            "CIMAISE_DISCOVERY_INTERFACE": HOST,
            "CIMAISE_SITE": plan.site,
        }
    )
    base_env["NO_PROXY"] = base_env["no_proxy"] = "127.0.0.1,localhost"
    sup = Supervisor(plan.logs, base_env)
    try:
        _run(plan, sup, base_env, start, duration)
    except DemoStop as stop:
        _say(start, f"{stop}: stopping every part of the demo")
    finally:
        # A second Ctrl-C must not cut the orderly stop short (it is bounded in time).
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        sup.stop_all()
        _say(start, "stopped every part of the demo.")


@dataclass(frozen=True)
class Parts:
    """Which programs of the gallery this installation has (each part is optional)."""

    pairing: bool  # cimaise hub pair
    technician_login: bool  # cimaise hub admin create
    agents: bool  # cimaise beacon --simulate


def _options(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", [])}


def available_parts() -> tuple[Parts, list[str]]:
    """Ask the CLI which parts exist; the notes name those the demo must leave out."""
    from beacon_agent.cli import beacon
    from hub.cli import hub

    ctx = click.Context(hub)
    hub_commands = set(hub.list_commands(ctx)) if isinstance(hub, click.Group) else set()
    admin = hub.get_command(ctx, "admin") if "admin" in hub_commands else None
    parts = Parts(
        pairing="pair" in hub_commands,
        technician_login=isinstance(admin, click.Group)
        and "create" in admin.list_commands(ctx)
        and "--password-file" in _options(admin.get_command(ctx, "create") or admin),
        agents="--simulate" in _options(beacon),
    )
    notes = []
    if not parts.technician_login:
        notes.append("left out: the technician login ('cimaise hub admin create' is missing)")
    if not parts.pairing:
        notes.append("left out: devices ('cimaise hub pair' is missing)")
    elif not parts.agents:
        notes.append("left out: beacon agents ('cimaise beacon --simulate' is missing)")
    return parts, notes


def _run(
    plan: DemoPlan,
    sup: Supervisor,
    env: dict[str, str],
    start: float,
    duration: float | None,
) -> None:
    parts, notes = available_parts()
    for note in notes:
        _say(start, note)
    plan.root.mkdir(parents=True, exist_ok=True)
    receiver = sup.start(
        "receiver",
        [
            "receiver",
            "--data",
            str(plan.receiver_data),
            "--host",
            HOST,
            "--port",
            str(plan.receiver_port),
        ],
        # Secrets go by environment, not argv (which every local user can read in ps).
        env={"CIMAISE_CLOUD_SECRET": plan.cloud_secret},
    )
    if parts.technician_login:
        # The account exists before the hub starts: one writer at a time. On a folder kept
        # from an earlier run (--data) the account is there already: give it the new password.
        password_file = plan.root / "technician-password.txt"
        password_file.write_text(plan.password + "\n")
        password_file.chmod(0o600)
        admin = ["hub", "admin"]
        who = ["--data", str(plan.hub_data), "--user", TECHNICIAN]
        existing = (
            plan.hub_db.exists()
            and TECHNICIAN
            in run_cimaise([*admin, "list", "--data", str(plan.hub_data)], env).split()
        )
        verb = "set-password" if existing else "create"
        run_cimaise([*admin, verb, *who, "--password-file", str(password_file)], env)
    hub = sup.start(
        "hub",
        ["hub", "--data", str(plan.hub_data), "--host", HOST, "--port", str(plan.hub_port)],
        env={"CIMAISE_CLOUD_URL": plan.cloud_url, "CIMAISE_CLOUD_SECRET": plan.cloud_secret},
        stage=1,
    )
    wait_http_ok(f"{plan.hub_url}/healthz", 60, hub.proc)
    wait_http_ok(f"{plan.receiver_url}/healthz", 30, receiver.proc)
    _say(start, f"hub and cloud receiver are up ({plan.hub_url})")
    # Devices fetch the exhibition when they join: let the hub publish it first (the first
    # run makes the media derivatives; later runs find them cached).
    wait_http_ok(f"{plan.hub_url}/api/v1/public/pack", 180, hub.proc)
    _say(start, "demo exhibition published")

    def pair(kind: str, name: str, zone: str) -> str:
        out = run_cimaise(
            [
                "hub",
                "pair",
                "--data",
                str(plan.hub_data),
                "--kind",
                kind,
                "--name",
                name,
                "--zone",
                zone,
            ],
            env,
        )
        return parse_pairing_code(out)

    if parts.pairing and parts.agents:
        for zone in ZONES:
            code = pair("beacon", f"Agent {zone}", zone)
            sup.start(
                f"agent-{zone}",
                ["beacon", "--simulate", "--pair", code, "--state", str(plan.agent_state(zone))],
                stage=2,
            )
    if parts.pairing and plan.kiosk:
        code = pair("kiosk", "Demo kiosk", ZONES[0])
        sup.start(
            "kiosk",
            # The kiosk is told the hub's URL: its zeroconf browsing would use every network
            # interface, and the demo sends nothing beyond loopback.
            ["kiosk", "--hub", plan.hub_url, "--pair", code, "--state", str(plan.kiosk_state)],
            required=False,
            stage=2,
        )

    _print_summary(plan, sup, parts)
    _watch(plan, sup, start, duration)


def _print_summary(plan: DemoPlan, sup: Supervisor, parts: Parts) -> None:
    click.echo("")
    click.echo("Cimaise demo: a whole gallery on this machine (loopback only).")
    for child in sup.children:
        click.echo(f"  {child.name:<14} pid {child.proc.pid:<7} log {child.log}")
    click.echo("")
    click.echo(f"  technician page  {plan.hub_url}{WEB_PATH}")
    if parts.technician_login:
        click.echo(f"  login            {TECHNICIAN} / {plan.password}")
    click.echo(f"  mobile guide     {plan.hub_url}/guide/")
    click.echo(f"  hub health       {plan.hub_url}/healthz   metrics {plan.hub_url}/metrics")
    click.echo(f"  cloud receiver   {plan.cloud_url}")
    click.echo(f"  site             {plan.site}")
    click.echo(f"  files            {plan.root}")
    click.echo("")


def _watch(plan: DemoPlan, sup: Supervisor, start: float, duration: float | None) -> None:
    click.echo("Press Ctrl-C to stop." if duration is None else f"Stopping in {duration:.0f} s.")
    deadline = None if duration is None else time.monotonic() + duration
    online_seen = counted = synced = False
    while deadline is None or time.monotonic() < deadline:
        for child in sup.check():
            _say(start, f"{child.name} stopped (code {child.proc.returncode}); see {child.log}")
        # Small read-only queries, five times a second until the gallery is up (the printed
        # times are then right to a fifth of a second), never again after.
        if not (online_seen and counted and synced):
            if not online_seen and agents_online(plan.hub_db) >= len(ZONES):
                online_seen = True
                _say(start, f"{len(ZONES)} beacon agents online")
            if not counted and visitor_events(plan.hub_db) > 0:
                counted = True
                _say(start, "visitors counted: the hub stores visit and occupancy events")
            if not synced:
                received = received_records(plan.receiver_data)
                if received > 0:
                    synced = True
                    _say(start, f"first events synced to the cloud receiver ({received})")
        time.sleep(0.2)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise DemoStop(signal.Signals(signum).name)


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
    help="Keep the demo's files here (default: a temporary folder, removed at the end).",
)
def demo(headless: bool, duration: float | None, port: int | None, data: Path | None) -> None:
    """Run a whole gallery on this machine: hub, demo exhibition, beacon agents, kiosk."""
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with tempfile.TemporaryDirectory(prefix="cimaise-demo-") as tmp:
            root = (data or Path(tmp)).resolve()
            plan, notes = make_plan(root, port, headless, os.environ)
            for note in notes:
                click.echo(note)
            with contextlib.suppress(DemoStop):  # a signal before anything started
                run_demo(plan, duration, os.environ)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
