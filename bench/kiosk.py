"""Kiosk vs. a browser kiosk: cold start to the artwork on screen, and memory.

Runs, in one go, on a private Xvfb screen (1280x800) and a hub on loopback serving the
demo exhibition:

* the Cimaise kiosk (paired with that hub, its cache filled as after an earlier run)
  started cold and opened on one artwork;
* Chromium in ``--kiosk`` mode on the hub's mobile guide page of the same artwork, with a
  fresh profile each run (the way web-based signage players show content);
* Kivy's floor: Python + Kivy importing and opening an empty window.

Start time is measured the same way for the kiosk and Chromium: the X screen is sampled
from process start (Pillow's XCB grab) until it stops changing; the figure is the first
moment it already looked like its final frame ("visually complete"). Memory is taken
2 s after that: RSS summed over the process and its children, and PSS (shared pages
split between processes, fairer to a multi-process browser). Median of --runs.

    .venv/bin/python bench/kiosk.py [--runs 3]

Targets: kiosk start <= 0.5x Chromium's, kiosk memory <= 0.3x Chromium's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import psutil
from PIL import Image, ImageChops, ImageGrab, ImageStat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SIZE = (1280, 800)
START_TARGET = 0.5
MEMORY_TARGET = 0.3
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_display() -> int:
    for n in range(400, 600):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display")


def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out: {what}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


# --- measuring -------------------------------------------------------------------------


def tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MiB, summed over a process and its children."""
    rss = pss = 0
    for p in tree(psutil.Process(pid)):
        try:
            info = p.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss / 2**20, pss / 2**20


def grab(display: str) -> Image.Image:
    """The X screen, small (enough to tell frames apart)."""
    for _attempt in range(20):
        try:
            return ImageGrab.grab(xdisplay=display).convert("RGB").resize((160, 100))
        except OSError:  # the X server is busy accepting a new client: try again
            time.sleep(0.02)
    return ImageGrab.grab(xdisplay=display).convert("RGB").resize((160, 100))


def diff(a: Image.Image, b: Image.Image) -> float:
    return float(sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3)


def watch_start(
    argv: Sequence[str], env: dict[str, str], display: str, settle_s: float, limit_s: float = 60
) -> tuple[subprocess.Popen[bytes], float, Image.Image]:
    """Start a program; return it, its visually-complete time (s) and the final frame."""
    blank = grab(display)
    frames: list[tuple[float, Image.Image]] = []
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last_change = start
    while time.monotonic() - start < limit_s:
        frame = grab(display)
        now = time.monotonic()
        if frames and diff(frame, frames[-1][1]) > 0.5:
            last_change = now
        frames.append((now, frame))
        if diff(frame, blank) > 2 and now - last_change > settle_s:
            break
        if proc.poll() is not None:
            raise RuntimeError(f"{argv[0]} exited with {proc.returncode}")
        time.sleep(0.03)  # sampling costs CPU too: leave most of it to the program
    final = frames[-1][1]
    complete = frames[-1][0]
    for t, frame in reversed(frames):
        if diff(frame, final) > 2.0:
            break
        complete = t
    return proc, complete - start, final


def stop(proc: subprocess.Popen[bytes]) -> None:
    for p in reversed(tree(psutil.Process(proc.pid))):
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        for p in tree(psutil.Process(proc.pid)):
            p.kill()
        proc.wait()
    psutil.wait_procs([p for p in psutil.Process().children(recursive=True)], timeout=5)


# --- the child programs ----------------------------------------------------------------


def child_kiosk(state: Path, hub: str, artwork: str) -> None:
    """The kiosk as ``cimaise kiosk`` runs it, opened on one artwork."""
    from kiosk.runner import KioskOptions, run_kiosk

    def ready(app: object) -> None:
        app.sm.transition.duration = 0  # type: ignore[attr-defined]
        app.open_artwork(artwork)  # type: ignore[attr-defined]

    options = KioskOptions(state=state, hub_url=hub, name="kiosk-bench", heartbeat_s=30)
    asyncio.run(run_kiosk(options, on_ready=ready))


def child_empty() -> None:
    """Kivy's floor: import, open an empty window."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "width", str(SIZE[0]))
    Config.set("graphics", "height", str(SIZE[1]))
    from kivy.app import App
    from kivy.graphics import Color, Rectangle
    from kivy.uix.widget import Widget

    class Empty(App):  # type: ignore[misc]
        def build(self) -> Widget:
            root = Widget()
            with root.canvas:  # a grey fill, so the first frame differs from Xvfb's black
                Color(0.5, 0.5, 0.5, 1)
                Rectangle(pos=(0, 0), size=SIZE)
            return root

    Empty().run()


# --- the run ---------------------------------------------------------------------------


def prepare(work: Path, hub_url: str) -> tuple[Path, str, str]:
    """Fill a kiosk's cache from the demo bundle and pair it; return state, artwork, code."""
    import msgspec

    from cimaise.settings import demo_content_dir
    from hub.content.library import ContentLibrary
    from kiosk.cache import ContentCache

    published = ContentLibrary(demo_content_dir(), work / "derivatives").reload()
    state = work / "kiosk"
    cache = ContentCache(state / "content")
    for ref in cache.missing(published.manifest):
        source = published.media_path(ref.sha256)
        assert source is not None
        cache.store_media(ref, source.read_bytes())
    cache.stage(msgspec.json.encode(published.manifest))
    cache.promote()
    artwork = published.manifest.artworks[0].id
    code = subprocess.run(
        [
            sys.executable,
            "-m",
            "cimaise",
            "hub",
            "pair",
            "--data",
            str(work / "hub"),
            "--kind",
            "kiosk",
            "--name",
            "kiosk-bench",
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "CIMAISE_ZEROCONF": "false"},
    ).stdout.split()[-1]
    return state, artwork, code


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=1.5, help="seconds without change")
    parser.add_argument("--child", choices=["kiosk", "empty"], help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--hub", help=argparse.SUPPRESS)
    parser.add_argument("--artwork", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "kiosk":
        child_kiosk(args.state, args.hub, args.artwork)
        return 0
    if args.child == "empty":
        child_empty()
        return 0
    if shutil.which("Xvfb") is None or not Path(CHROMIUM).exists():
        print("needs Xvfb and Debian's chromium")
        return 0

    number = free_display()
    display = f":{number}"
    xvfb = subprocess.Popen(
        [
            "Xvfb",
            display,
            "-screen",
            "0",
            f"{SIZE[0]}x{SIZE[1]}x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    hub: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="cimaise-bench-kiosk-") as tmp:
        work = Path(tmp)
        try:
            wait_until(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), 10, "Xvfb")
            port = free_port()
            hub_url = f"http://127.0.0.1:{port}"
            hub_env = {**os.environ, "CIMAISE_ZEROCONF": "false"}
            hub = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cimaise",
                    "hub",
                    "--data",
                    str(work / "hub"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                env=hub_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_until(lambda: http_ok(f"{hub_url}/healthz"), 60, "the hub")
            state, artwork, code = prepare(work, hub_url)
            guide = f"{hub_url}/guide/artworks/{artwork}"
            wait_until(lambda: http_ok(guide), 120, "the hub's guide page")
            env = {
                **os.environ,
                "DISPLAY": display,
                "KIVY_NO_CONSOLELOG": "1",
                "KIVY_USE_DEFAULTCONFIG": "1",
                "SDL_AUDIODRIVER": "dummy",
                # the same Kivy set-up for the kiosk and the floor: Python logging, no
                # argument parsing, a fresh Kivy home (no old log files to purge)
                "KIVY_LOG_MODE": "PYTHON",
                "KIVY_NO_ARGS": "1",
                "KIVY_HOME": str(work / "kivy-home"),
            }
            results: dict[str, dict[str, list[float]]] = {}

            def measure(name: str, argv: list[str], shot: Path | None = None) -> None:
                proc, seconds, _ = watch_start(argv, env, display, args.settle)
                time.sleep(2.0)
                rss, pss = memory_mb(proc.pid)
                if shot is not None:
                    ImageGrab.grab(xdisplay=display).save(shot)
                stop(proc)
                row = results.setdefault(name, {"start": [], "rss": [], "pss": []})
                row["start"].append(seconds)
                row["rss"].append(rss)
                row["pss"].append(pss)

            kiosk_argv = [
                sys.executable,
                str(Path(__file__)),
                "--child",
                "kiosk",
                "--state",
                str(state),
                "--hub",
                hub_url,
                "--artwork",
                artwork,
            ]
            # paired once, as its first start would have done; later starts reuse the token
            pair_once(state, hub_url, code)
            for i in range(args.runs):
                measure("kiosk", kiosk_argv, work / "kiosk.png" if i == 0 else None)
                profile = work / f"chromium-{i}"
                measure(
                    "chromium",
                    [
                        CHROMIUM,
                        "--kiosk",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        f"--user-data-dir={profile}",
                        f"--window-size={SIZE[0]},{SIZE[1]}",
                        "--window-position=0,0",
                        guide,
                    ],
                    work / "chromium.png" if i == 0 else None,
                )
                measure("kivy floor", [sys.executable, str(Path(__file__)), "--child", "empty"])
            report(results, args.runs)
            for name in ("kiosk.png", "chromium.png"):
                if (work / name).exists():
                    shutil.copy(work / name, Path(tempfile.gettempdir()) / f"bench-{name}")
        finally:
            if hub is not None:
                hub.terminate()
                hub.wait(10)
            xvfb.terminate()
            xvfb.wait(10)
    return 0


def pair_once(state: Path, hub_url: str, code: str) -> None:
    """Enroll the bench kiosk with the hub (as its first start would) and keep the token."""
    from hub.client.api import HubClient
    from hub.client.credentials import Credentials, save_credentials

    async def enroll() -> None:
        async with HubClient(hub_url) as client:
            done = await client.enroll(code, "kiosk", "kiosk-bench")
        save_credentials(
            state,
            Credentials(
                device_id=done.device_id,
                token=done.token,
                hub_url=hub_url,
                kind="kiosk",
                name="kiosk-bench",
            ),
        )

    asyncio.run(enroll())


def report(results: dict[str, dict[str, list[float]]], runs: int) -> None:
    print(f"kiosk bench, {runs} runs, medians (1280x800 Xvfb, software rendering)")
    print(f"{'program':<12} {'start s':>8} {'RSS MiB':>9} {'PSS MiB':>9}")
    for name, row in results.items():
        print(
            f"{name:<12} {median(row['start']):>8.2f} {median(row['rss']):>9.1f} "
            f"{median(row['pss']):>9.1f}"
        )
    for name, row in results.items():
        runs_s = ", ".join(f"{v:.2f}" for v in row["start"])
        print(f"  {name} start per run (s): {runs_s}")
    kiosk, chromium = results.get("kiosk"), results.get("chromium")
    if kiosk and chromium:
        start = median(kiosk["start"]) / median(chromium["start"])
        rss = median(kiosk["rss"]) / median(chromium["rss"])
        pss = median(kiosk["pss"]) / median(chromium["pss"])
        print(f"start ratio kiosk/chromium: {start:.2f} (target <= {START_TARGET})")
        print(
            f"memory ratio kiosk/chromium: RSS {rss:.2f}, PSS {pss:.2f} (target <= {MEMORY_TARGET})"
        )


if __name__ == "__main__":
    sys.exit(main())
