"""Drives the real kiosk app in its own process, for the UI tests.

Kivy keeps process-wide state (one window, one GL context), so each test module runs
the app in a child process started with ``python -m tests.kiosk.harness``. The test
sends one JSON command per line on stdin; each answer is one line on stdout starting
with ``@@``. Touches are real ``MotionEvent``s dispatched through Kivy's event loop at
window coordinates, exactly as the SDL2 input provider would.

Commands: state, tap (x, y | text | card), drag, pinch, advance (the session clock),
screenshot (path), type (text into the search field), technician_messages, quit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any

from kiosk.runner import KioskOptions, run_kiosk

MARK = "@@"


class ShiftedClock:
    """time.monotonic plus an offset the test can advance (the idle timeout)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


def _touch_class() -> Any:
    from kivy.input.motionevent import MotionEvent

    class HarnessTouch(MotionEvent):  # type: ignore[misc]
        def __init__(self, touch_id: int, x: float, y: float) -> None:
            from kivy.core.window import Window

            self.window = Window
            super().__init__("harness", touch_id, self._norm(x, y), is_touch=True, type_id="touch")

        def _norm(self, x: float, y: float) -> dict[str, float]:
            return {"x": x / (self.window.width - 1.0), "y": y / (self.window.height - 1.0)}

        def depack(self, args: dict[str, float]) -> None:
            self.sx, self.sy = args["x"], args["y"]
            self.profile = ["pos"]
            super().depack(args)

    return HarnessTouch


class Driver:
    """Runs commands on Kivy's thread and answers on stdout."""

    def __init__(self, app: Any, clock: ShiftedClock) -> None:
        from kivy.base import EventLoop

        self.app, self.clock = app, clock
        self.loop = EventLoop
        self.touch_cls = _touch_class()
        self.notes: list[dict[str, Any]] = []
        self.commands: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.next_id = 1000

        def record(notes: list[Any]) -> None:
            self.notes.extend(
                {k: getattr(n, k) for k in ("action", "session", "artwork", "language", "screen")}
                for n in notes
            )

        app.note_listeners.append(record)
        threading.Thread(target=self._read_stdin, name="harness-stdin", daemon=True).start()

    def _read_stdin(self) -> None:
        for line in sys.stdin:
            if line.strip():
                self.commands.put(json.loads(line))
        self.commands.put(None)

    async def serve(self) -> None:
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                await asyncio.sleep(0.02)
                continue
            if command is None:
                self.app.stop()
                return
            try:
                result = await self.run(command)
                answer = {"ok": True, **result}
            except Exception as exc:  # report to the test, keep serving
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            sys.stdout.write(MARK + json.dumps(answer) + "\n")
            sys.stdout.flush()
            if command.get("cmd") == "quit":
                self.app.stop()
                return

    async def settle(self, frames: int = 3) -> None:
        """Let animations and screen transitions finish, then draw a few frames."""
        from kivy.clock import Clock

        deadline = time.monotonic() + 5
        zoom = self.app.artwork_screen.ids.zoom
        while (self.app.sm.transition.is_active or zoom.loading) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        start = Clock.frames_displayed
        while Clock.frames_displayed < start + frames and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    def _touch(self, x: float, y: float) -> Any:
        self.next_id += 1
        return self.touch_cls(self.next_id, x, y)

    async def _down(self, *touches: Any) -> None:
        for t in touches:
            self.loop.post_dispatch_input("begin", t)
        await asyncio.sleep(0.03)

    async def _move(self, t: Any, x: float, y: float) -> None:
        t.move(t._norm(x, y))
        self.loop.post_dispatch_input("update", t)

    async def _up(self, *touches: Any) -> None:
        for t in touches:
            self.loop.post_dispatch_input("end", t)
        await asyncio.sleep(0.03)

    def _find(self, text: str) -> Any:
        """The visible widget (on the current screen) showing exactly ``text``."""
        screen = self.app.sm.current_screen
        for widget in screen.walk(restrict=True):
            shown = widget.opacity > 0 and not getattr(widget, "disabled", False)
            if shown and getattr(widget, "text", None) == text:
                return widget
        raise LookupError(f"no widget shows {text!r} on {screen.name}")

    def _center(self, widget: Any) -> tuple[float, float]:
        x, y = widget.to_window(*widget.center)
        return float(x), float(y)

    async def run(self, c: dict[str, Any]) -> dict[str, Any]:
        cmd = c["cmd"]
        app = self.app
        if cmd == "state":
            await self.settle(1)
            return self.state()
        if cmd == "tap":
            if "text" in c:
                x, y = self._center(self._find(c["text"]))
            elif c.get("widget") == "search_field":
                x, y = self._center(app.home.ids.query)
            elif "card" in c:
                cards = [
                    w for w in app.home.walk(restrict=True) if type(w).__name__ == "ArtworkCard"
                ]
                x, y = self._center(cards[int(c["card"])])
                width, height = app.root_window.size
                if not (0 <= x < width and 0 <= y < height):
                    raise LookupError(f"card {c['card']} is off screen: scroll first")
            else:
                x, y = float(c["x"]), float(c["y"])
            t = self._touch(x, y)
            await self._down(t)
            await asyncio.sleep(float(c.get("hold", 0)))
            await self._up(t)
            await self.settle()
            return {"at": [x, y], **self.state()}
        if cmd == "double_tap":
            x, y = float(c["x"]), float(c["y"])
            for second in (False, True):
                t = self._touch(x, y)
                t.is_double_tap = second  # what Kivy's double-tap postprocessor would set
                await self._down(t)
                await self._up(t)
            await self.settle()
            return self.state()
        if cmd == "drag":
            (x1, y1), (x2, y2) = c["start"], c["end"]
            steps = int(c.get("steps", 12))
            t = self._touch(x1, y1)
            await self._down(t)
            for i in range(1, steps + 1):
                await self._move(t, x1 + (x2 - x1) * i / steps, y1 + (y2 - y1) * i / steps)
                await asyncio.sleep(0.016)
            await self._up(t)
            await self.settle()
            return self.state()
        if cmd == "pinch":
            cx, cy = c["center"]
            d1, d2 = float(c["start"]), float(c["end"])
            steps = int(c.get("steps", 12))
            a, b = self._touch(cx - d1 / 2, cy), self._touch(cx + d1 / 2, cy)
            await self._down(a, b)
            for i in range(1, steps + 1):
                d = d1 + (d2 - d1) * i / steps
                await self._move(a, cx - d / 2, cy)
                await self._move(b, cx + d / 2, cy)
                await asyncio.sleep(0.016)
            await self._up(a, b)
            await self.settle()
            return self.state()
        if cmd == "type":
            app.home.ids.query.text = c["text"]
            await asyncio.sleep(0.6)  # the search waits for typing to pause
            await self.settle()
            return self.state()
        if cmd == "next_slide":  # what the attract loop's 7-second timer does
            app.attract.next_slide()
            await asyncio.sleep(1.5)  # the cross-fade
            await self.settle()
            return self.state()
        if cmd == "advance":
            self.clock.offset += float(c["seconds"])
            app.tick()
            await self.settle()
            return self.state()
        if cmd == "screenshot":
            await self.settle(4)
            png = app.capture_png(max_width=int(c.get("max_width", 4096)))
            Path(c["path"]).write_bytes(png)
            return {"bytes": len(png)}
        if cmd == "find":
            await self.settle(1)
            try:
                self._find(c["text"])
            except LookupError:
                return {"found": False}
            return {"found": True}
        if cmd == "widget":  # a widget of the current screen by id: where it is on screen
            await self.settle(1)
            widget = app.sm.current_screen.ids[c["name"]]
            x, y = widget.to_window(*widget.pos)
            return {
                "x": float(x),
                "y": float(y),
                "width": float(widget.width),
                "height": float(widget.height),
                "opacity": float(widget.opacity),
            }
        if cmd == "technician_messages":  # what the link's callbacks show while pairing
            app.technician.details = c["details"]
            app.technician.status = c["status"]
            await self.settle()
            return self.state()
        if cmd == "quit":
            return {}
        raise ValueError(f"unknown command {cmd!r}")

    def state(self) -> dict[str, Any]:
        app, s = self.app, self.app.session
        zoom = app.artwork_screen.ids.zoom
        return {
            "screen": s.screen,
            "shown": app.sm.current,
            "language": s.language,
            "session": s.session_id,
            "artwork": s.artwork,
            "large_text": s.large_text,
            "high_contrast": s.high_contrast,
            "audio_playing": s.audio_playing,
            "browse_mode": s.browse_mode,
            "zoom_scale": zoom.scatter.scale,
            "zoom_image": zoom.shown_source,
            "zoom_bbox": [list(v) for v in zoom.scatter.bbox],
            "zoom_view": [list(zoom.pos), list(zoom.size)],
            "cards": len(
                [w for w in app.home.walk(restrict=True) if type(w).__name__ == "ArtworkCard"]
            ),
            "title": app.artwork_screen.title,
            "content_version": app.manifest.version if app.manifest else None,
            "window": list(app.root_window.size) if app.root_window else None,
            "notes": self.notes,
            "link": app.link.device.state.value if app.link is not None else None,
            "paired": s.paired,
            "link_detail": app.link.device.detail if app.link is not None else None,
            # read without building the screen (the app builds it when first shown)
            "technician": None
            if (technician := app._technician) is None
            else {
                "code": technician.code,
                "status": technician.status,
                "details": technician.details,
            },
            "query": app.home.ids.query.text,
            "idle_left": app.idle_left,
            "caption": app.attract.caption,
            "keyboard_shown": any(
                type(w).__name__ == "VKeyboard" for w in app.root_window.children
            ),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--hub", default=None)
    parser.add_argument("--pair", default=None)
    parser.add_argument("--offline", action="store_true")
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--heartbeat", type=float, default=30.0)
    parser.add_argument("--fullscreen", action="store_true")
    args = parser.parse_args()
    clock = ShiftedClock()
    options = KioskOptions(
        state=args.state,
        hub_url=args.hub,
        pair_code=args.pair,
        offline=args.offline,
        idle_timeout_s=args.idle,
        heartbeat_s=args.heartbeat,
        fullscreen=args.fullscreen,
        content_poll_s=5.0,
        clock=clock,
        name="kiosk-test",
        discovery_interfaces=["127.0.0.1"],  # tests stay on loopback
    )
    tasks: list[asyncio.Task[None]] = []

    def ready(app: Any) -> None:
        driver = Driver(app, clock)
        tasks.append(asyncio.get_running_loop().create_task(driver.serve()))
        sys.stdout.write(MARK + json.dumps({"ok": True, "ready": True}) + "\n")
        sys.stdout.flush()

    asyncio.run(run_kiosk(options, on_ready=ready))


if __name__ == "__main__":
    main()
