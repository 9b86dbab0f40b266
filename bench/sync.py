"""Benchmark of the cloud export: events per second, hub store to the reference receiver.

Measures the whole path of ``SyncWorker.drain()``: read from the hub's SQLite store,
privacy transform, gzip, HMAC signature, POST to ``cimaise receiver`` (a subprocess on
loopback, which verifies, decompresses and stores durably before answering). The
reference figure is plain gzip of the same NDJSON bytes, in batches of the same size
and at the same level, in the same run. Target: export >= 0.5x plain gzip.

Usage: .venv/bin/python bench/sync.py [--events N] [--rounds R]

The machine may be shared: each round runs the export then the reference, and the
best and median of the rounds are printed for both.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psutil

from cimaise.settings import Settings
from hub.client.events import Interaction, Occupancy, Visit, encode_event, new_event_id, utc_now
from hub.store import EventRow, Store, rfc3339
from hub.sync.tables import EventStream
from hub.sync.worker import SyncOptions, SyncWorker

SECRET = "bench-secret"
TARGET = 0.5


def _events(n: int) -> list[EventRow]:
    rng = random.Random(1)
    start = utc_now() - timedelta(hours=2)
    rows = []
    for i in range(n):
        t = start + timedelta(milliseconds=100 * i)
        zone = f"room-{i % 12}"
        event: Visit | Occupancy | Interaction
        if i % 3 == 0:
            event = Visit(
                id=new_event_id(),
                ts=t,
                zone=zone,
                visitor=f"{rng.getrandbits(64):016x}",
                start=t - timedelta(seconds=90),
                end=t,
                dwell_s=90.0,
                samples=14,
                min_distance_m=1.4,
            )
        elif i % 3 == 1:
            event = Occupancy(
                id=new_event_id(),
                ts=t,
                zone=zone,
                start=t - timedelta(minutes=1),
                end=t,
                count=i % 9,
                peak=i % 13,
            )
        else:
            event = Interaction(
                id=new_event_id(),
                ts=t,
                session=f"{rng.getrandbits(64):016x}",
                action="view_artwork",
                artwork=f"art-{i % 40}",
                language="fr",
            )
        visitor = event.visitor if isinstance(event, Visit) else None
        rows.append(
            EventRow(
                id=event.id,
                type=type(event).__name__.lower(),
                ts=rfc3339(t),
                device_id="kiosk-1",
                site="bench",
                zone=zone,
                visitor=visitor,
                body=encode_event(event),
            )
        )
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_receiver(data: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cimaise",
            "receiver",
            "--data",
            str(data),
            "--port",
            str(port),
            "--log-level",
            "WARNING",
        ],
        env={**os.environ, "CIMAISE_CLOUD_SECRET": SECRET},
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the receiver did not start") from None
            time.sleep(0.05)


async def _export_once(
    n: int, rows: list[EventRow], root: Path
) -> tuple[float, float, list[bytes], int]:
    """One export from a fresh store to a fresh receiver: wall s, CPU s, lines, batches."""
    options = SyncOptions()
    port = _free_port()
    receiver = _start_receiver(root / "cloud", port)
    try:
        async with Store(root / "hub" / "hub.db") as store:
            for i in range(0, n, 1000):
                await store.ingest(rows[i : i + 1000])
            settings = Settings(
                data=root / "hub",
                site="bench",
                cloud_url=f"http://127.0.0.1:{port}/",
                cloud_secret=SECRET,
            )
            # the same NDJSON the export sends, for the plain-gzip reference
            with store.read() as conn:
                rows = EventStream("anonymous").rows(conn, 1, None, n)
                lines = [line for line in rows.lines() if line]
            worker = SyncWorker(options)
            await worker.start(store, settings)
            peer = psutil.Process(receiver.pid)
            peer_cpu = sum(peer.cpu_times()[:2])
            cpu = time.process_time()
            started = time.perf_counter()
            await worker.drain()
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu + sum(peer.cpu_times()[:2]) - peer_cpu
            await worker.stop()
            if worker.status.sent_records != n or worker.status.backlog:
                raise SystemExit(f"export incomplete: {worker.status.to_dict()}")
            return seconds, cpu, lines, worker.status.sent_batches
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)


def _gzip_once(lines: list[bytes]) -> tuple[float, float, int]:
    options = SyncOptions()
    cpu = time.process_time()
    started = time.perf_counter()
    compressed = 0
    step = options.max_count
    for i in range(0, len(lines), step):
        chunk = b"".join(lines[i : i + step])
        compressed += len(gzip.compress(chunk, compresslevel=options.gzip_level, mtime=0))
    return time.perf_counter() - started, time.process_time() - cpu, compressed


async def _run(n: int, rounds: int, root: Path) -> None:
    rows = _events(n)
    exports: list[float] = []
    gzips: list[float] = []
    export_cpu: list[float] = []
    gzip_cpu: list[float] = []
    lines: list[bytes] = []
    batches = compressed = 0
    for r in range(rounds):  # alternate, so both see the same machine load
        seconds, cpu, lines, batches = await _export_once(n, rows, root / f"round-{r}")
        exports.append(seconds)
        export_cpu.append(cpu)
        g, g_cpu, compressed = _gzip_once(lines)
        gzips.append(g)
        gzip_cpu.append(g_cpu)
    ndjson_bytes = sum(map(len, lines))
    options = SyncOptions()
    print(
        f"events: {n}, NDJSON {ndjson_bytes / n:.0f} B/event, gzip to "
        f"{compressed / ndjson_bytes:.1%}, batches of {options.max_count} ({batches} batches), "
        f"level {options.gzip_level}, best and median of {rounds} rounds"
    )
    best_ratio = (n / min(exports)) / (n / min(gzips))
    median_ratio = (n / statistics.median(exports)) / (n / statistics.median(gzips))
    print(
        "export (read, transform, gzip, sign, POST, receiver commit): "
        f"best {n / min(exports):,.0f} events/s, median {n / statistics.median(exports):,.0f}"
    )
    print(
        "plain gzip of the same NDJSON: "
        f"best {n / min(gzips):,.0f} events/s, median {n / statistics.median(gzips):,.0f}"
    )
    e_us = statistics.median(export_cpu) / n * 1e6
    g_us = statistics.median(gzip_cpu) / n * 1e6
    print(
        f"CPU per event (median; hub and receiver processes): export {e_us:.2f} us, "
        f"plain gzip {g_us:.2f} us, ratio {g_us / e_us:.2f}x "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    verdict = "met" if best_ratio >= TARGET else "NOT met"
    print(
        f"ratio export / plain gzip: best {best_ratio:.2f}x, median {median_ratio:.2f}x "
        f"(target >= {TARGET}x: {verdict}; {best_ratio / TARGET:.2f} of target)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cimaise-bench-sync-") as tmp:
        asyncio.run(_run(args.events, args.rounds, Path(tmp)))


if __name__ == "__main__":
    main()
