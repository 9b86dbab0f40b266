"""Durable HTTP ingest against raw SQLite inserts, same run, same disk, same PRAGMAs.

    .venv/bin/python bench/ingest.py [--dir DIR] [--batches-per-client N] [--rounds N]
                                     [--singles-per-client N]

Runs the hub in a subprocess and the clients in another process (loopback), a lean
HTTP/1.1 load generator (see ``run_clients``) so that it takes little of the CPUs the hub
runs on. Prints:
- raw SQLite: rows/s inserting the same rows in batches of 100, one commit each (with
  executemany and with one multi-row statement per batch, as the hub's writer does: the
  faster is the reference), and rows/s with one commit per row (WAL, synchronous=FULL,
  as the hub's store);
- a group-commit prototype: a few lines of aiohttp, msgspec and executemany with no
  validation and no authentication, for the same clients (the textbook design);
- HTTP batched: 8 concurrent clients sending batches of 100 events: events/s, latency
  p50/p99, and the ratio to the raw batched rate (target >= 1.0x, p99 < 25 ms), measured
  in paired rounds (``--rounds``, default 5): each round inserts raw batches (both ways)
  and sends the HTTP batches, raw first in even rounds and HTTP first in odd ones, and its
  ratio is HTTP over the faster raw way of that round; the median ratio is the result.
  Raw SQLite runs once the hub's analytics have counted every event (a quiet hub). Each
  side follows the other as often as itself (a run slows the next one a little here,
  likely its disk writes); a burst of other work on a shared machine moves one round, not
  the comparison; and neither side is a best of several runs against one run of the
  other (the ratio to the best raw run of the whole bench is printed too). The hub's and
  the raw databases grow alike from round to round. The
  clients' events are made round by round, as devices make them: batches sent together
  hold ids (UUIDv7, time-ordered) close to each other, as the raw rows are in order.
  Then, for information, the same with each device's batches made before the others'
  (as backlogs of different hours): their inserts land far apart in the id index. It
  runs last, on the same hub, after the other runs' rows (the raw reference starts empty);
- HTTP single-event: 8 concurrent clients, one event per request: events/s and the
  ratio to one commit per event (target >= 5x);
- the library floor: the same clients against a trivial aiohttp POST handler that reads
  the body and answers a small JSON body (no parsing, no store), in another process like
  the hub: what aiohttp alone allows on this machine. Where a target lies above that
  floor, both figures are printed (the floor and ours);
- CPU per event (hub process and raw inserts), which other load on the machine moves
  less than rates do;
- how long after the last batch the hub's analytics rollups had counted every event
  (they wait while devices send heavily: ``hub.web.follower``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from itertools import chain
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.client.events import (  # noqa: E402
    Event,
    Interaction,
    Visit,
    encode_event,
    new_event_id,
    utc_now,
)
from hub.web.follower import HEAVY_INGEST_PER_S, MAX_DEFER_S  # noqa: E402

CLIENTS = 8
BATCH = 100


def by_client(rounds: list[list[Any]]) -> list[list[Any]]:
    """Batches made round by round (one per client each round), as each client's list."""
    return [list(mine) for mine in zip(*rounds, strict=True)]


def make_events(n: int) -> list[Event]:
    now = utc_now()
    out: list[Event] = []
    for i in range(n):
        if i % 2:
            out.append(
                Interaction(
                    id=new_event_id(),
                    ts=now,
                    session=secrets.token_hex(8),
                    action="view_artwork",
                    artwork=f"art-{i % 12}",
                )
            )
        else:
            out.append(
                Visit(
                    id=new_event_id(),
                    ts=now,
                    zone=f"room-{i % 4}",
                    visitor=secrets.token_hex(8),
                    start=now - timedelta(seconds=30),
                    end=now,
                    dwell_s=30.0,
                    samples=12,
                    min_distance_m=1.2,
                )
            )
    return out


# -- raw SQLite baseline -----------------------------------------------------------------
def raw_rates(
    folder: Path, rows: int, single_rows: int
) -> tuple[float, float, float, float, dict[str, float]]:
    """(rows/s batched, rows/s one commit per row, CPU s/row batched, CPU s/row single,
    rows/s batched by insert method); batched is the faster method. Each way inserts into
    a database of its own in ``folder``, kept: a second call adds to it (as the hub's
    grows by one run's rows). ``single_rows`` 0: no single rows."""
    from hub.api.events import event_row
    from hub.devices.registry import Device
    from hub.store.connection import connect
    from hub.store.ingest_writer import INSERT, INSERT_HEAD
    from hub.store.migrations import apply_migrations
    from hub.store.rows import rfc3339
    from hub.store.schema import CORE_MIGRATIONS

    device = Device(id="bench", kind="kiosk", name="bench", zone="room-1")
    folder.mkdir(parents=True, exist_ok=True)

    def open_db(name: str) -> sqlite3.Connection:
        conn = connect(folder / f"raw-{name}.db", journals_in_memory=True)  # as the writer
        apply_migrations(conn, "core", CORE_MIGRATIONS)
        return conn

    def params(events: list[Event]) -> list[tuple[object, ...]]:
        received = rfc3339(utc_now())
        out: list[tuple[object, ...]] = []
        for e in events:
            r = event_row(e, device, "bench")
            out.append(
                (
                    r.id,
                    r.type,
                    r.ts,
                    received,
                    r.device_id,
                    r.site,
                    r.zone,
                    r.visitor,
                    r.body.decode(),
                )
            )
        return out

    # The same rows the hub stores, built before the clock starts: only inserts are timed.
    # Two ways to insert a batch: executemany (row by row) and one multi-row statement
    # (what the hub's writer does); the faster is the reference.
    one_statement = (
        f"{INSERT_HEAD}VALUES {', '.join(['(?, ?, ?, ?, ?, ?, ?, ?, ?)'] * BATCH)} "
        "ON CONFLICT(id) DO NOTHING"
    )
    rates: dict[str, tuple[float, float]] = {}
    conns = {way: open_db(way.replace(" ", "-")) for way in ("executemany", "one statement")}
    for method, conn in conns.items():
        batches = [params(make_events(BATCH)) for _ in range(rows // BATCH)]
        started = time.perf_counter()
        cpu = time.process_time()
        for batch in batches:
            conn.execute("BEGIN IMMEDIATE")
            if method == "executemany":
                conn.executemany(INSERT, batch)
            else:
                conn.execute(one_statement, list(chain.from_iterable(batch)))
            conn.execute("COMMIT")
        rates[method] = (
            rows / (time.perf_counter() - started),
            (time.process_time() - cpu) / rows,
        )
    batched, batched_cpu = max(rates.values())

    single = single_cpu = 0.0
    if single_rows:
        # after a way's batches, as in the hub: its log has grown already (a commit that
        # grows the log file also syncs the file's size, ~15 % slower here)
        conn = conns["one statement"]
        singles = params(make_events(single_rows))
        started = time.perf_counter()
        cpu = time.process_time()
        for row in singles:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT, row)
            conn.execute("COMMIT")
        single = single_rows / (time.perf_counter() - started)
        single_cpu = (time.process_time() - cpu) / single_rows
    for conn in conns.values():
        conn.close()
    by_method = {name: rate for name, (rate, _) in rates.items()}
    return batched, single, batched_cpu, single_cpu, by_method


# -- the store alone (no HTTP) ------------------------------------------------------------
def store_rates(folder: Path, batches_per_client: int) -> dict[str, float]:
    """Events/s and CPU/event of ``Store.ingest`` from 8 concurrent tasks, batches of 100.

    In this process, without HTTP and validation. (The web page's analytics are counted
    after commit by a follower, off this path: ``bench/dashboard.py`` measures it.)
    """
    from hub.api.events import event_row
    from hub.devices.registry import Device

    device = Device(id="bench", kind="kiosk", name="bench", zone="room-1")
    out: dict[str, float] = {}
    for label in ("store",):
        rounds = [  # round by round, as the HTTP clients' batches
            [[event_row(e, device, "bench") for e in make_events(BATCH)] for _ in range(CLIENTS)]
            for _ in range(batches_per_client)
        ]
        batches = by_client(rounds)
        cpu = _cpu_with_children()
        seconds = asyncio.run(_store_run(folder / f"{label}.db", batches))
        events = CLIENTS * batches_per_client * BATCH
        out[label] = events / seconds
        out[label + "_cpu"] = (_cpu_with_children() - cpu) / events
    return out


def _cpu_with_children() -> float:
    """CPU seconds of this process and of its children waited for (the ingest writer)."""
    import resource

    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


async def _store_run(path: Path, batches: list[list[list[Any]]]) -> float:
    from hub.store.store import Store

    async with Store(path) as store:
        await store.start_ingest()

        async def client(mine: list[list[Any]]) -> None:
            for batch in mine:
                await store.ingest(batch)

        started = time.perf_counter()
        await asyncio.gather(*(client(b) for b in batches))
        return time.perf_counter() - started


# -- the client process ------------------------------------------------------------------
# The devices are other machines in a gallery; here they share the hub's two CPUs. So the
# load generator is lean, like wrk: each client writes ready-made HTTP/1.1 requests on one
# keep-alive connection and reads each answer (status line, headers, Content-Length body)
# before the next. An aiohttp client session costs several times more CPU per request,
# taken from the hub under test (and from the floor and the prototype alike).
async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response; its status code."""
    status_line = await reader.readline()
    if not status_line:
        raise SystemExit("the server closed the connection instead of answering")
    status = int(status_line.split()[1])
    length = None
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            raise SystemExit("the server answered with a Transfer-Encoding: not measured")
    if length is None:
        raise SystemExit("the server answered without a Content-Length")
    await reader.readexactly(length)
    return status


async def run_clients(
    url: str, tokens: list[str], batches: int, size: int, backlogs: bool = False
) -> dict[str, object]:
    from urllib.parse import urlsplit

    where = urlsplit(url)
    host, port = where.hostname or "127.0.0.1", where.port or 80

    def request(token: str, body: bytes) -> bytes:
        head = (
            f"POST /api/v1/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    def body() -> bytes:
        return b'{"events":[' + b",".join(encode_event(e) for e in make_events(size)) + b"]}"

    if backlogs:
        # Each device's events made before the others' (as backlogs of different hours):
        # the batches sent together hold ids (UUIDv7, time-ordered) far apart.
        requests = [[request(token, body()) for _ in range(batches)] for token in tokens]
    else:
        # Round by round, as devices make events: the k-th batches of all devices hold
        # events of about the same moment, so their ids are close.
        rounds = [[request(token, body()) for token in tokens] for _ in range(batches)]
        requests = by_client(rounds)
    latencies: list[float] = []
    errors = 0

    async def client(mine: list[bytes]) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for raw in mine:
                t0 = time.perf_counter()
                writer.write(raw)
                if await _answer(reader) != 200:
                    errors += 1
                latencies.append(time.perf_counter() - t0)
        finally:
            writer.close()
            await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(client(mine) for mine in requests))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "events": batches * size * len(tokens),
        "seconds": elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
    }


def client_main() -> None:
    spec = json.loads(sys.stdin.read())
    result = asyncio.run(
        run_clients(spec["url"], spec["tokens"], spec["batches"], spec["size"], spec["backlogs"])
    )
    sys.stdout.write(json.dumps(result))


def clients_in_process(
    url: str, tokens: list[str], batches: int, size: int, backlogs: bool = False
) -> dict[str, float]:
    spec = json.dumps(
        {"url": url, "tokens": tokens, "batches": batches, "size": size, "backlogs": backlogs}
    )
    out = subprocess.run(
        [sys.executable, __file__, "--client"],
        input=spec.encode(),
        capture_output=True,
        check=True,
        timeout=600,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


# -- the library floor: aiohttp alone -----------------------------------------------------
def floor_main(port: int) -> None:
    """A trivial aiohttp server: read the body, answer a small JSON body; nothing else."""
    from aiohttp import web

    reply = b'{"accepted":1,"duplicates":0,"rejected":[]}'

    async def events(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=reply, content_type="application/json")

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(body=b"{}", content_type="application/json")

    app = web.Application()
    app.router.add_post("/api/v1/events", events)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def server_rates(flags: list[str], batches: int, singles: int = 0) -> dict[str, float]:
    """Events/s, p99 and CPU/event of a reference server (this script run with ``flags``
    and its port) for the batched clients, then (``singles`` > 0) single-event requests."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, __file__, *flags, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    tokens = [f"reference-{i}" for i in range(CLIENTS)]
    out: dict[str, float] = {}
    try:
        wait_healthy(url, server)
        clients_in_process(url, tokens, 2, BATCH)  # warm-up
        for label, count, size in (("batched", batches, BATCH), ("single", singles, 1)):
            if count:
                cpu0 = hub_cpu(server)
                run = clients_in_process(url, tokens, count, size)
                out[label] = run["events"] / run["seconds"]
                out[f"{label}_p99_ms"] = run["p99_ms"]
                out[f"{label}_cpu"] = (hub_cpu(server) - cpu0) / run["events"]
    finally:
        server.terminate()
        server.wait(30)
    return out


# -- the prototype: group commit with nothing else -------------------------------------------
def prototype_main(port: int, db: Path) -> None:
    """Group commit as the textbook has it: a fast JSON decode, no validation, no
    auth, rows handed to one writer thread that inserts whatever is queued with
    executemany and commits once (same schema and PRAGMAs as the hub). What group commit
    alone gives on this machine, to set the hub's own figure against."""
    import queue
    import threading

    import msgspec
    from aiohttp import web

    from hub.store.connection import connect
    from hub.store.ingest_writer import INSERT
    from hub.store.migrations import apply_migrations
    from hub.store.schema import CORE_MIGRATIONS

    jobs: queue.SimpleQueue[tuple[list[tuple[object, ...]], asyncio.Future[None]]]
    jobs = queue.SimpleQueue()
    loop_box: list[asyncio.AbstractEventLoop] = []

    def writer() -> None:
        conn = connect(db, journals_in_memory=True)
        apply_migrations(conn, "core", CORE_MIGRATIONS)
        while True:
            group = [jobs.get()]
            while True:
                try:
                    group.append(jobs.get_nowait())
                except queue.Empty:
                    break
            conn.execute("BEGIN IMMEDIATE")
            for rows, _ in group:
                conn.executemany(INSERT, rows)
            conn.execute("COMMIT")
            for _, done in group:
                loop_box[0].call_soon_threadsafe(done.set_result, None)

    decode, encode = msgspec.json.decode, msgspec.json.encode
    reply = b'{"accepted":100,"duplicates":0,"rejected":[]}'

    async def events(request: web.Request) -> web.Response:
        received = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        rows = [
            (
                e["id"],
                e["type"],
                e["ts"],
                received,
                "dev",
                "site",
                e.get("zone"),
                e.get("visitor"),
                encode(e).decode(),
            )
            for e in decode(await request.read())["events"]
        ]
        done = asyncio.get_running_loop().create_future()
        jobs.put((rows, done))
        await done
        return web.Response(body=reply, content_type="application/json")

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(body=b"{}", content_type="application/json")

    async def start(app: web.Application) -> None:
        loop_box.append(asyncio.get_running_loop())
        threading.Thread(target=writer, daemon=True).start()

    app = web.Application()
    app.on_startup.append(start)
    app.router.add_post("/api/v1/events", events)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- the hub process ---------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_hub(data: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cimaise",
            "hub",
            "--data",
            str(data),
            "--content",
            str(data / "none"),
            "--port",
            str(port),
            "--no-zeroconf",
            "--log-level",
            "ERROR",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )


def enroll_devices(data: Path, url: str, n: int) -> list[str]:
    import urllib.request

    tokens = []
    for i in range(n):
        code = (
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "cimaise",
                    "hub",
                    "pair",
                    "--data",
                    str(data),
                    "--kind",
                    "kiosk",
                    "--name",
                    f"bench-{i}",
                ],
                capture_output=True,
                check=True,
                cwd=ROOT,
            )
            .stdout.decode()
            .split()[0]
        )
        request = urllib.request.Request(
            f"{url}/api/v1/devices/enroll",
            data=json.dumps({"code": code, "kind": "kiosk", "name": f"bench-{i}"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            tokens.append(json.loads(resp.read())["token"])
    return tokens


def seconds_until_counted(db: Path, timeout_s: float = 300.0) -> float:
    """How long until the hub's analytics rollups have counted every stored event."""
    from hub.web.rollup_store import read_cursor

    started = time.monotonic()
    while True:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            counted = read_cursor(conn)
            (top,) = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
        finally:
            conn.close()
        elapsed = time.monotonic() - started
        if counted >= top:
            return elapsed
        if elapsed > timeout_s:
            raise RuntimeError(f"the hub's rollups had not counted every event in {timeout_s} s")
        time.sleep(0.05)


def counting_cpu(hub: subprocess.Popen[bytes], data: Path) -> float:
    """CPU seconds the hub takes until its rollups have counted every stored event."""
    cpu = hub_cpu(hub)
    seconds_until_counted(data / "hub.db")
    return hub_cpu(hub) - cpu


def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the hub exited")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise SystemExit("the hub did not start")


def hub_cpu(proc: subprocess.Popen[bytes]) -> float:
    """CPU seconds (user + system) the hub process and its running children (the store's
    ingest writer) have used so far."""
    import psutil  # type: ignore[import-untyped]

    hub = psutil.Process(proc.pid)
    total = 0.0
    for process in (hub, *hub.children(recursive=True)):
        times = process.cpu_times()
        total += times.user + times.system
    return total


def commit_counts(url: str) -> tuple[float, float, float]:
    """(commits, events committed, seconds committing) so far, from the hub's /metrics."""
    import urllib.request

    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith(("cimaise_store_commit_events_", "cimaise_store_commit_seconds_")):
            name, _, value = line.partition(" ")
            values[name] = float(value)
    return (
        values.get("cimaise_store_commit_events_count", 0.0),
        values.get("cimaise_store_commit_events_sum", 0.0),
        values.get("cimaise_store_commit_seconds_sum", 0.0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="where the databases go")
    parser.add_argument("--batches-per-client", type=int, default=40)
    parser.add_argument("--singles-per-client", type=int, default=400)
    parser.add_argument(
        "--rounds", type=int, default=5, help="paired raw and HTTP batched rounds (median)"
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor-server", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--prototype-server", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main()
        return
    if args.floor_server is not None:
        floor_main(args.floor_server)
        return
    if args.prototype_server is not None:
        prototype_main(int(args.prototype_server[1]), Path(args.prototype_server[0]))
        return
    folder = Path(tempfile.mkdtemp(prefix="cimaise-bench-", dir=args.dir))
    try:
        rows = CLIENTS * args.batches_per_client * BATCH
        singles = CLIENTS * args.singles_per_client
        # Raw rates before and after the HTTP runs (the better of the two is the reference
        # of single events and of the lines for information; batches are compared in
        # paired rounds): on a shared machine a burst of other work slows one of them, the
        # reference must not be the slowed one, and the comparison must not depend on the
        # order.
        load_before = os.getloadavg()
        raw_before = raw_rates(folder / "before", rows, min(singles, 1000))
        data = folder / "hub"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        hub = start_hub(data, port)
        try:
            wait_healthy(url, hub)
            tokens = enroll_devices(data, url, CLIENTS)
            clients_in_process(url, tokens, 2, BATCH)  # warm-up
            hub_seconds = counting_seconds = 0.0
            batched_commits = (0.0, 0.0, 0.0)
            paired: list[tuple[dict[str, float], dict[str, float]]] = []
            for round_ in range(max(1, args.rounds)):
                # raw first in even rounds, HTTP first in odd ones: each side follows the
                # other's disk writes as often (raw, HTTP, HTTP, raw, raw, HTTP...)
                for side in ("raw", "http") if round_ % 2 == 0 else ("http", "raw"):
                    if side == "raw":
                        # the hub's analytics count the last rounds' events first (they
                        # wait while devices send heavily): raw runs beside a quiet hub
                        counting_seconds += counting_cpu(hub, data)
                        raw_round = raw_rates(folder / "paired", rows, 0)[4]
                        continue
                    before = commit_counts(url)
                    cpu0 = hub_cpu(hub)
                    run = clients_in_process(url, tokens, args.batches_per_client, BATCH)
                    hub_seconds += hub_cpu(hub) - cpu0
                    after = commit_counts(url)
                    batched_commits = tuple(
                        total + b - a
                        for total, a, b in zip(batched_commits, before, after, strict=True)
                    )
                paired.append((raw_round, run))
            counting_seconds += counting_cpu(hub, data)
            batched_events = sum(run["events"] for _, run in paired)
            batched_hub_cpu = hub_seconds / batched_events
            counting_hub_cpu = counting_seconds / batched_events
            commits_before = commit_counts(url)
            cpu0 = hub_cpu(hub)
            single = clients_in_process(url, tokens, args.singles_per_client, 1)
            single_hub_cpu = (hub_cpu(hub) - cpu0) / single["events"]
            commits_after = commit_counts(url)
            counting_cpu(hub, data)
            # last: it adds as many rows again, the other runs do not see them
            backlogs = clients_in_process(
                url, tokens, args.batches_per_client, BATCH, backlogs=True
            )
            counted_after_s = seconds_until_counted(data / "hub.db")
        finally:
            hub.terminate()
            hub.wait(30)
        floor = server_rates(["--floor-server"], args.batches_per_client, args.singles_per_client)
        proto = server_rates(
            ["--prototype-server", str(folder / "proto.db")], args.batches_per_client
        )
        alone = store_rates(folder / "store", args.batches_per_client)
        raw_after = raw_rates(folder / "after", rows, min(singles, 1000))
        load_after = os.getloadavg()
        raw_batched = max(raw_before[0], raw_after[0])
        raw_single = max(raw_before[1], raw_after[1])
        # (raw rows/s by way, HTTP events/s) of each round
        rounds = [(raw, run["events"] / run["seconds"]) for raw, run in paired]
        round_ratios = [http / max(raw.values()) for raw, http in rounds]
        http_batched = statistics.median(http for _, http in rounds)
        batched = {
            "p50_ms": statistics.median(run["p50_ms"] for _, run in paired),
            "p99_ms": max(run["p99_ms"] for _, run in paired),
            "errors": sum(run["errors"] for _, run in paired),
        }
        http_single = single["events"] / single["seconds"]
        print(
            f"disk: {folder} (WAL, synchronous=FULL); load average (1 min) on "
            f"{os.cpu_count()} CPUs: {load_before[0]:.2f} at the start, {load_after[0]:.2f} at "
            "the end (other work on the machine slows rates, less CPU per event)"
        )
        methods = ", ".join(
            f"{name} {max(raw_before[4][name], raw_after[4][name]):,.0f}" for name in raw_before[4]
        )
        print(
            f"raw SQLite, batches of {BATCH}, one commit each: {raw_batched:,.0f} rows/s "
            f"(best of before {raw_before[0]:,.0f}, after {raw_after[0]:,.0f}; by method: "
            f"{methods}; the faster is the reference)"
        )
        print(
            f"raw SQLite, one commit per row:             {raw_single:,.0f} rows/s "
            f"(best of before {raw_before[1]:,.0f}, after {raw_after[1]:,.0f})"
        )
        print(
            f"HTTP batched ({CLIENTS} clients x {args.batches_per_client} x {BATCH}, "
            f"{len(paired)} rounds): median {http_batched:,.0f} events/s, p50 "
            f"{batched['p50_ms']:.1f} ms, p99 {batched['p99_ms']:.1f} ms (the worst round's), "
            f"errors {batched['errors']:.0f}"
        )
        rounds_text = ", ".join(f"{max(raw.values()):,.0f} -> {http:,.0f}" for raw, http in rounds)
        executemany_ratios = [http / raw["executemany"] for raw, http in rounds]
        print(
            f"  ratio to raw batched: {statistics.median(round_ratios):.2f}x, the median of "
            f"the rounds' {', '.join(f'{r:.2f}' for r in round_ratios)} (target >= 1.0x; "
            f"{statistics.median(executemany_ratios):.2f}x raw with executemany); "
            f"p99 {batched['p99_ms']:.1f} ms / 25 ms = {batched['p99_ms'] / 25:.2f}"
        )
        print(f"  rounds, raw rows/s -> HTTP events/s: {rounds_text}")
        print(
            f"  the median HTTP round against the best raw run before and after all others: "
            f"{http_batched / raw_batched:.2f}x"
        )
        http_backlogs = backlogs["events"] / backlogs["seconds"]
        print(
            f"  ids far apart (each device's batches made before the others', as backlogs of "
            f"different hours; last, on the same hub): {http_backlogs:,.0f} events/s = "
            f"{http_backlogs / raw_batched:.2f}x raw, p99 {backlogs['p99_ms']:.1f} ms, "
            f"errors {backlogs['errors']:.0f}"
        )
        print(
            f"  group-commit prototype (no validation, no auth, same clients): "
            f"{proto['batched']:,.0f} events/s = {proto['batched'] / raw_batched:.2f}x raw, p99 "
            f"{proto['batched_p99_ms']:.1f} ms, {proto['batched_cpu'] * 1e6:.1f} us CPU/event; "
            "the hub: "
            f"{http_batched / proto['batched']:.2f}x the prototype"
        )
        print(
            f"HTTP single-event ({CLIENTS} clients x {args.singles_per_client}): "
            f"{http_single:,.0f} events/s, p50 {single['p50_ms']:.1f} ms, "
            f"p99 {single['p99_ms']:.1f} ms, errors {single['errors']:.0f}"
        )
        print(f"  ratio to one commit per event: {http_single / raw_single:.2f}x (target >= 5x)")
        groups = commits_after[0] - commits_before[0]
        rows_committed = commits_after[1] - commits_before[1]
        if groups:
            print(
                f"  store commits: {groups:.0f}, {rows_committed / groups:.1f} events per commit, "
                f"{(commits_after[2] - commits_before[2]) / groups * 1000:.1f} ms per commit"
            )
        print(
            f"store alone (Store.ingest, {CLIENTS} tasks x batches of {BATCH}, no HTTP): "
            f"{alone['store']:,.0f} events/s ({alone['store'] / raw_batched:.2f}x raw, "
            f"{alone['store_cpu'] * 1e6:.1f} us CPU/event)"
        )
        print(
            f"aiohttp floor (trivial POST handler, small JSON reply, same {CLIENTS} clients): "
            f"batches of {BATCH} {floor['batched']:,.0f} events/s (p99 "
            f"{floor['batched_p99_ms']:.1f} ms, {floor['batched_cpu'] * 1e6:.1f} us CPU/event); "
            f"single-event {floor['single']:,.0f} requests/s (p99 {floor['single_p99_ms']:.1f} ms, "
            f"{floor['single_cpu'] * 1e6:.1f} us CPU/request)"
        )
        for label, target, ours, library in (
            ("HTTP batched", raw_batched, http_batched, floor["batched"]),
            ("HTTP single-event", 5 * raw_single, http_single, floor["single"]),
        ):
            if target > library:
                print(
                    f"  {label}: the target ({target:,.0f} events/s) lies above what aiohttp "
                    f"alone allows here: floor {library:,.0f}/s, ours {ours:,.0f}/s "
                    f"({ours / library:.2f}x the floor; the floor is "
                    f"{library / target:.2f}x the target)"
                )
            else:
                print(
                    f"  {label}: aiohttp floor {library:,.0f}/s, ours {ours:,.0f}/s "
                    f"({ours / library:.2f}x the floor)"
                )
        raw_cpu = min(raw_before[2], raw_after[2])
        raw_single_cpu = min(raw_before[3], raw_after[3])
        print(
            f"CPU per event (moves less than rates with other load on the machine): raw batched "
            f"{raw_cpu * 1e6:.1f} us, hub batched {batched_hub_cpu * 1e6:.1f} us (aiohttp "
            f"floor {floor['batched_cpu'] * 1e6:.1f} us); raw one commit per row "
            f"{raw_single_cpu * 1e6:.1f} us, hub single-event {single_hub_cpu * 1e6:.1f} us "
            f"(aiohttp floor {floor['single_cpu'] * 1e6:.1f} us)"
        )
        print(
            f"analytics: the rollups had counted every event {counted_after_s:.1f} s after the "
            f"last batch (they wait while devices send over {HEAVY_INGEST_PER_S:,.0f} events/s, "
            f"at most {MAX_DEFER_S:.0f} s); counting the batched rounds' events took "
            f"{counting_hub_cpu * 1e6:.1f} us of the hub's CPU per event, after each round"
        )
        n = max(1.0, batched_commits[0])
        print(
            f"batched run: {batched_commits[0]:.0f} store commits, {batched_commits[1] / n:.1f} "
            f"events per commit, {batched_commits[2] / n * 1000:.1f} ms per commit"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
