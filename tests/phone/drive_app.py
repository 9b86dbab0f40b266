"""Runs the real phone app in a window and drives it; writes what it saw as JSON.

Started by the tests as a subprocess (Kivy's window is one per process) with
``DISPLAY`` pointing at the test's Xvfb. The app runs its own asyncio lifecycle
(``async_run``, pack refresh from ``--hub``); this driver waits for it, then
pushes a BLE trace through the app's bleak detection callback with real
``BLEDevice``/``AdvertisementData`` objects, advancing a manual clock, and
records the "near you" card as the screen shows it.

    python -m tests.phone.drive_app --state DIR --hub URL --out result.json
        [--trace FILE] [--shots DIR] [--tour] [--share-usage] [--flush S]
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import psutil  # noqa: E402

from phone.window import configure_window  # noqa: E402


class ManualClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def frames(n: int = 3) -> None:
    for _ in range(n):
        await asyncio.sleep(1 / 30)


def shot(path: Path) -> None:
    from kivy.core.window import Window

    made = Window.screenshot(name=str(path.with_suffix("")) + ".png")
    shutil.move(made, path)


def tap(widget: Any) -> None:
    """A touch down and up at the centre of a widget, through the window."""
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(*widget.to_window(*widget.center))
    touch.touch_down()
    touch.touch_up()


def count_usage_notes(usage: Any) -> list[int]:
    """Count the events ``usage`` records from now on (a one-item list, updated in place)."""
    noted = [0]
    note = usage.note

    def counting_note(*args: Any, **kwargs: Any) -> Any:
        event = note(*args, **kwargs)
        if event is not None:
            noted[0] += 1
        return event

    usage.note = counting_note
    return noted


async def drive(
    app: Any, args: argparse.Namespace, clock: ManualClock, out: dict[str, Any]
) -> None:
    from beacon_agent.trace import read_trace
    from phone.scanner import to_bleak

    deadline = time.monotonic() + 60
    while app.manager is None or not app.refreshed.is_set():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not start")
        await asyncio.sleep(0.02)
    await frames(2)
    out["cold_start_s"] = time.perf_counter() - STARTED
    sys.stdout.write("@@ready\n")  # for a parent timing the start from outside
    sys.stdout.flush()
    out["first_screen"] = app.screen
    out["status"] = app.status
    out["exhibition_title"] = app.exhibition_title
    out["pack_version"] = app.pack.version if app.pack else None
    shots = Path(args.shots) if args.shots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
        shot(shots / "phone-welcome.png")
    noted = count_usage_notes(app.usage)
    if args.share_usage:  # the visitor ticks the opt-in on the first screen
        tap(app.manager.get_screen("welcome").ids.share)
        await frames()
        out["share_usage"] = app.share_usage
    tap(app.manager.get_screen("welcome").ids.start)  # a real touch on "Start the visit"
    await frames()
    out["after_start"] = app.screen
    if args.connect:
        # The visitor types the entrance QR code's link in Settings and taps the button.
        app.show("settings")
        settings = app.manager.get_screen("settings")
        settings.ids.hub_address.text = args.connect
        await frames()
        tap(settings.ids.connect)
        await frames()
        out["status_connecting"] = app.status
        deadline = time.monotonic() + 60
        while not (app.refreshed.is_set() and app.pack is not None):
            if time.monotonic() > deadline:
                raise TimeoutError("the guide was not downloaded")
            await asyncio.sleep(0.05)
        await frames()
        out["connected_version"] = app.pack.version
        out["prefs_hub_url"] = app.prefs.hub_url
        app.show("near")
    out["browse_count"] = len(app.search_rows(""))
    seen: list[tuple[float, str, str]] = []  # (t, artwork id, title on screen) per change
    if args.trace:
        records = list(read_trace(Path(args.trace)))
        near = app.manager.get_screen("near")
        end = records[-1].t + 12.0
        i = 0
        step = 0
        shoot_at: float | None = None  # the near screen is shot once, at the second artwork
        while clock.t <= end:
            while i < len(records) and records[i].t <= clock.t:
                app.feed.detection_callback(*to_bleak(records[i]))
                i += 1
            app.update_nearby()
            title = near.ids.card.ids.title.text if app.near_id else ""
            if not seen or seen[-1][1] != app.near_id:
                seen.append((round(clock.t, 2), app.near_id, title))
                if len(seen) == 3:
                    shoot_at = clock.t + 8.0
            if shoot_at is not None and clock.t >= shoot_at:
                shoot_at = None
                await frames(4)
                if shots:
                    shot(shots / "phone-near.png")
                # The visitor taps the card: its artwork's page opens; then back.
                tap(near.ids.card)
                await frames()
                out["tapped_card"] = [app.near_id, app.screen, app.art_id]
                tap(app.manager.get_screen("artwork").ids.back)
                await frames()
                out["tapped_card"].append(app.screen)
            clock.t = round(clock.t + 0.1, 3)
            step += 1
            if step % 10 == 0:
                await asyncio.sleep(0)  # let Kivy draw now and then
        out["heard"] = app.feed.heard
        out["ignored"] = app.feed.ignored
        out["tracked"] = app.ranging.tracked()
        out["switches"] = app.ranging.switches
    out["card"] = seen
    out["usage_events"] = len(app.usage.events)
    if args.tour and app.pack is not None:
        first = app.pack.artworks[0].id
        app.open_artwork(first, "browse")
        await frames(6)
        out["artwork_title"] = app.manager.get_screen("artwork").ids.title.text
        out["artwork_image"] = app.art_image
        out["artwork_audio"] = app.art_audio
        page = app.manager.get_screen("artwork")
        tap(page.ids.listen)  # the audio description plays from the cache...
        await frames()
        out["playing"] = app.playing
        tap(page.ids.listen)  # ...and pauses
        await frames()
        out["paused"] = not app.playing
        page.ids.zoom.zoom_at(2.5, page.ids.zoom.to_window(*page.ids.zoom.center))
        await frames()
        out["zoomed"] = page.ids.zoom.zoomed
        if shots:
            shot(shots / "phone-artwork.png")
        app.show("browse")
        browse = app.manager.get_screen("browse")
        browse.ids.query.text = "lumiere"
        await frames(4)
        out["search_lumiere"] = [w.artwork_id for w in reversed(browse.ids.results.children)]
        if shots:
            shot(shots / "phone-browse.png")
        browse.ids.query.text = ""
        app.show("info")
        await frames(4)
        out["info_hours"] = app.info_hours
        if shots:
            shot(shots / "phone-info.png")
        app.show("settings")
        app.choose_language("en")
        app.step_text_size(1)
        await frames(4)
        out["language_after"] = app.language
        out["title_en"] = app.exhibition_title
        if shots:
            shot(shots / "phone-settings.png")
    if args.share_usage:  # the send loop delivers what was noted within a few flushes
        deadline = time.monotonic() + 20
        while app.usage_sent < noted[0] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(3 * args.flush)  # nothing more (a repeat, say) comes after
    # Counted as noted, not from the queue: a batch in flight is in neither the queue
    # nor the sent count until the hub answers.
    out["usage_noted"] = noted[0]
    out["usage_sent"] = app.usage_sent
    out["usage_session"] = app.usage.session
    out["rss_mb"] = psutil.Process().memory_info().rss / 2**20
    app.stop()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    configure_window()
    from phone.app import PhoneApp

    clock = ManualClock()
    # Discovery (when no --hub) stays on loopback: tests send nothing to any other address.
    app = PhoneApp(
        Path(args.state),
        clock=clock,
        hub_url=args.hub,
        scan=False,
        discovery_interfaces=["127.0.0.1"],
        discovery_wait_s=1.0,
        site=f"test-{os.getpid()}",  # no other hub on this machine's loopback answers
        usage_flush_s=args.flush,
    )
    out: dict[str, Any] = {}
    driver = asyncio.ensure_future(drive(app, args, clock, out))
    await app.async_run(async_lib="asyncio")
    await driver
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", required=True)
    parser.add_argument("--hub", default=None)
    parser.add_argument("--trace", default=None)
    parser.add_argument("--shots", default=None)
    parser.add_argument("--tour", action="store_true")
    parser.add_argument("--connect", default=None, help="guide address typed in Settings")
    parser.add_argument("--share-usage", action="store_true", help="tick the opt-in")
    parser.add_argument("--flush", type=float, default=0.3, help="usage flush interval, s")
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    result = asyncio.run(main(arguments))
    Path(arguments.out).write_text(json.dumps(result, indent=1))
