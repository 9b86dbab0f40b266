"""The phone guide's figures: public pack size, cold start and memory, ranging.

    .venv/bin/python bench/phone.py [--runs 3]

Prints:
- the demo exhibition's public pack (JSON bytes, gzip bytes) and the media a phone
  caches (phone-sized images, thumbnails, audio), fetched from a real hub on loopback;
- the app's cold start on the desktop, from its cache with no network: a fresh
  process under Xvfb (started here, stopped after), from spawn (imports
  included) until the first screen is drawn (target <= 3 s), and its resident
  memory then (target <= 250 MB); the kiosk measured the same way beside it;
- the ranging core's speed, sightings/s through observe + update (target >= 50k/s:
  a phone hears at most a few hundred advertisements a second), and the "near you"
  card's switches per true change over 40 seeded noisy walks (target 1.0).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from aiohttp import web  # noqa: E402

from cimaise.settings import Settings, demo_content_dir  # noqa: E402
from hub.app import create_app  # noqa: E402
from hub.keys import CONTENT  # noqa: E402
from phone import pack  # noqa: E402
from phone.ranging import Ranging  # noqa: E402
from tests.phone.walk import walk_past  # noqa: E402

COLD_START_TARGET_S = 3.0
RSS_TARGET_MB = 250.0
RANGING_TARGET = 50_000


async def fill_cache(work: Path) -> tuple[int, int, int, int]:
    """Publish the demo on a real hub, fetch it into a phone cache; pack and media sizes."""
    settings = Settings(data=work / "hub", content=demo_content_dir(), zeroconf=False)
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        deadline = time.monotonic() + 120
        while app[CONTENT].current is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        body = app[CONTENT].current.public_pack_json
        result = await pack.refresh(pack.PackCache(work / "phone"), f"http://127.0.0.1:{port}")
        media = sum(p.stat().st_size for p in (work / "phone" / "media").iterdir())
        return len(body), len(gzip.compress(body)), result.media_fetched, media
    finally:
        await runner.cleanup()


def _display() -> tuple[subprocess.Popen[bytes], str]:
    """A private Xvfb; it picks a free display number itself (-displayfd)."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        ready, _, _ = select.select([pipe], [], [], 10)
        number = pipe.readline().strip() if ready else b""
    if not number:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start")
    return xvfb, f":{number.decode()}"


def _wait_marker(proc: subprocess.Popen[bytes], marker: bytes, timeout: float) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    while marker not in buffer:
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("the app did not become ready")
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            buffer += os.read(proc.stdout.fileno(), 65536)


def phone_starts(work: Path, display: str, runs: int) -> list[tuple[float, float]]:
    """(seconds from spawn to the first screen drawn, RSS MB then) per run, offline."""
    env = {
        **os.environ,
        "DISPLAY": display,
        "KIVY_NO_ARGS": "1",
        "KIVY_USE_DEFAULTCONFIG": "1",
        "KIVY_NO_CONSOLELOG": "1",
        "KIVY_HOME": str(work / "kivy"),
    }
    out = []
    for run in range(runs):
        began = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.phone.drive_app",
                "--state",
                str(work / "phone"),
                "--hub",
                "http://127.0.0.1:9",
                "--out",
                str(work / f"start-{run}.json"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_marker(proc, b"@@ready", 120)
            elapsed = time.perf_counter() - began
            rss = psutil.Process(proc.pid).memory_info().rss / 2**20
        finally:
            proc.wait(60)
            assert proc.stdout is not None
            proc.stdout.close()
        out.append((elapsed, rss))
    return out


def kiosk_starts(work: Path, display: str, runs: int) -> list[tuple[float, float]]:
    """The kiosk, the same way: spawn to ready, from its filled cache (its test harness)."""
    from tests.kiosk.conftest import KioskProcess, fill_cache

    out = []
    for run in range(runs):
        state = work / f"kiosk-{run}" / "state"
        fill_cache(state)
        began = time.perf_counter()
        kiosk = KioskProcess(display, state)
        try:
            elapsed = time.perf_counter() - began
            rss = psutil.Process(kiosk.proc.pid).memory_info().rss / 2**20
        finally:
            kiosk.close()
        out.append((elapsed, rss))
    return out


def ranging_speed() -> tuple[float, float]:
    beacons = [(f"b{i}", f"a{i}") for i in range(3)]
    walks = [walk_past(beacons, seed=s, noise_db=6.0, spacing=2.5)[0] for s in range(40)]
    sightings = switches = changes = 0
    elapsed = 0.0
    for walk in walks:
        ranging = Ranging(dict(beacons))
        start = time.perf_counter()
        for s in walk.sightings:
            ranging.observe(s.beacon, s.rssi, s.t)
            ranging.update(s.t)
        for k in range(1, 100):
            ranging.update(walk.sightings[-1].t + k * 0.1)
        elapsed += time.perf_counter() - start
        sightings += len(walk.sightings)
        switches += ranging.switches
        changes += walk.true_changes()
    return sightings / elapsed, switches / changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        size, gz, media_n, media_bytes = asyncio.run(fill_cache(work))
        print(
            f"public pack (demo): {size / 1024:.1f} KiB JSON, {gz / 1024:.1f} KiB gzip; "
            f"phone media: {media_n} files, {media_bytes / 2**20:.2f} MiB"
        )
        xvfb, display = _display()
        try:
            phone = phone_starts(work, display, args.runs)
            try:
                kiosk: list[tuple[float, float]] | None = kiosk_starts(work, display, args.runs)
            except (ImportError, RuntimeError, TimeoutError, OSError) as exc:
                print(f"kiosk not measured: {exc}")
                kiosk = None
        finally:
            xvfb.terminate()
            xvfb.wait(10)
    cold = statistics.median(t for t, _ in phone)
    rss = statistics.median(m for _, m in phone)
    print(
        f"phone cold start from cache, offline, spawn to first screen: {cold:.2f} s median of "
        f"{len(phone)} (target <= {COLD_START_TARGET_S} s: ratio {cold / COLD_START_TARGET_S:.2f})"
    )
    print(
        f"phone memory then: {rss:.0f} MB RSS "
        f"(target <= {RSS_TARGET_MB:.0f} MB: ratio {rss / RSS_TARGET_MB:.2f})"
    )
    if kiosk:
        print(
            f"kiosk, same measure (its harness, its test exhibition): "
            f"{statistics.median(t for t, _ in kiosk):.2f} s, "
            f"{statistics.median(m for _, m in kiosk):.0f} MB RSS"
        )
    speed, per_change = ranging_speed()
    print(
        f"ranging: {speed:,.0f} sightings/s (target >= {RANGING_TARGET:,}: "
        f"ratio {speed / RANGING_TARGET:.1f})"
    )
    print(
        f"near-you card: {per_change:.2f} switches per true change over 40 noisy walks "
        f"(target 1.00)"
    )


if __name__ == "__main__":
    main()
