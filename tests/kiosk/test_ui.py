"""The real kiosk window under Xvfb: touches in, state and screenshots out.

One kiosk process serves the whole module (Kivy keeps one window per process). Its
hub is down the whole time: everything here runs on the cached exhibition. Each test
starts from the attract loop by letting the idle timeout pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from kiosk.cache import ContentCache
from tests.kiosk.conftest import (
    WINDOW,
    KioskProcess,
    closed_port,
    fill_cache,
    remember_pairing,
)
from tests.kiosk.exhibition import build_exhibition

pytestmark = pytest.mark.display
IDLE_S = 60.0
MANIFEST, _, _ = build_exhibition()


def fill_cache_staged(state: Path, version: str) -> None:
    """Stage a new version in the kiosk's cache, without promoting it."""
    cache = ContentCache(state / "content")
    manifest, raw, media = build_exhibition(version)
    for ref in cache.missing(manifest):
        cache.store_media(ref, media[ref.sha256])
    cache.stage(raw)


@pytest.fixture(scope="module")
def kiosk(display: str, kiosk_state: Path) -> Iterator[KioskProcess]:
    dead_hub = f"http://127.0.0.1:{closed_port()}"
    remember_pairing(kiosk_state, dead_hub)
    proc = KioskProcess(display, kiosk_state, "--idle", str(IDLE_S), "--hub", dead_hub)
    proc.hub_url = dead_hub
    try:
        yield proc
    finally:
        proc.close()


@pytest.fixture
def fresh(kiosk: KioskProcess) -> KioskProcess:
    """The kiosk back on its attract loop, as between two visitors."""
    state = kiosk.send("advance", seconds=IDLE_S + 1)
    assert state["screen"] == "attract"
    return kiosk


def shot(kiosk: KioskProcess, tmp_path: Path, name: str) -> Image.Image:
    path = tmp_path / f"{name}.png"
    kiosk.send("screenshot", path=str(path))
    return Image.open(path).convert("RGB")


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0-255."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def region(img: Image.Image, box: tuple[float, float, float, float]) -> ImageStat.Stat:
    w, h = img.size
    return ImageStat.Stat(
        img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    )


def brightness(stat: ImageStat.Stat) -> float:
    return float(sum(stat.mean) / 3)


def variety(stat: ImageStat.Stat) -> float:
    return float(sum(stat.stddev) / 3)


def share(
    img: Image.Image, box: tuple[float, float, float, float], test: Callable[[Any], bool]
) -> float:
    """The share of the pixels of a region that pass a test."""
    w, h = img.size
    part = img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    pixels = list(part.getdata())
    return sum(1 for p in pixels if test(p)) / len(pixels)


def rows_with_text(img: Image.Image, box: tuple[float, float, float, float]) -> int:
    """How many pixel rows of a region hold light (text) pixels."""
    w, h = img.size
    part = img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    gray = part.convert("L")
    width = gray.size[0]
    data = list(gray.getdata())
    return sum(1 for y in range(gray.size[1]) if max(data[y * width : (y + 1) * width]) > 150)


def new_notes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return after["notes"][len(before["notes"]) :]


def test_kiosk_starts_on_its_cached_exhibition_with_the_hub_down(kiosk: KioskProcess) -> None:
    state = kiosk.send("state")
    assert state["screen"] == "attract" and state["paired"]
    assert state["content_version"] == "v1"
    assert state["link"] != "needs_pairing"  # a hub that is down is not a revocation
    assert state["window"] == list(WINDOW)
    assert "Traceback" not in kiosk.log()


def test_attract_loop_shows_a_full_screen_artwork(fresh: KioskProcess, tmp_path: Path) -> None:
    img = shot(fresh, tmp_path, "attract")
    assert img.size == WINDOW
    whole = ImageStat.Stat(img)
    assert variety(whole) > 20  # a picture, not a blank window
    # the painting's sky fills the upper half: bright, no dark gallery background
    assert brightness(region(img, (0, 0, 1, 0.4))) > 120


def test_attract_loop_cross_fades_to_the_next_artwork(fresh: KioskProcess, tmp_path: Path) -> None:
    before = fresh.send("state")
    first = shot(fresh, tmp_path, "slide-1")
    moved = fresh.send("next_slide")
    second = shot(fresh, tmp_path, "slide-2")
    assert moved["screen"] == "attract" and moved["session"] is None
    captions = [f"{a.title['en']} — {a.artist}" for a in MANIFEST.artworks]
    following = captions[(captions.index(before["caption"]) + 1) % len(captions)]
    assert moved["caption"] == following
    painting = (0, 0, WINDOW[0], int(WINDOW[1] * 0.5))
    assert difference(first.crop(painting), second.crop(painting)) > 10


def test_a_whole_visit_from_attract_to_idle_reset(fresh: KioskProcess, tmp_path: Path) -> None:
    """attract → home → artwork → zoom → language → info → idle: each a different screen."""
    shots = {"attract": shot(fresh, tmp_path, "1-attract")}
    fresh.send("tap", x=640, y=400)
    shots["home"] = shot(fresh, tmp_path, "2-home")
    assert fresh.send("tap", card=1)["screen"] == "artwork"
    shots["artwork"] = shot(fresh, tmp_path, "3-artwork")
    (vx, vy), (vw, vh) = fresh.send("state")["zoom_view"]
    fresh.send("pinch", center=[vx + vw / 2, vy + vh / 2], start=100, end=260)
    shots["zoom"] = shot(fresh, tmp_path, "4-zoom")
    fresh.send("tap", text="FR")
    shots["language"] = shot(fresh, tmp_path, "5-fr")
    fresh.send("tap", text="Visite")
    shots["info"] = shot(fresh, tmp_path, "6-info")
    end = fresh.send("advance", seconds=IDLE_S + 1)
    shots["idle"] = shot(fresh, tmp_path, "7-attract")
    names = list(shots)
    for i, a in enumerate(names[:-1]):  # consecutive screens differ visibly
        assert difference(shots[a], shots[names[i + 1]]) > 2, (a, names[i + 1])
    for name, img in shots.items():  # none is blank
        assert variety(ImageStat.Stat(img)) > 10, name
    assert end["screen"] == "attract" and end["session"] is None
    actions = [n["action"] for n in end["notes"]]
    visit = actions[len(actions) - 1 - actions[::-1].index("session_start") :]
    assert visit == ["session_start", "view_artwork", "zoom", "language", "info", "session_end"]


def test_first_touch_starts_a_session_on_home_with_every_artwork(
    fresh: KioskProcess, tmp_path: Path
) -> None:
    attract = shot(fresh, tmp_path, "attract")
    before = fresh.send("state")
    after = fresh.send("tap", x=640, y=400)
    assert after["screen"] == "home" and after["session"]
    assert [n["action"] for n in new_notes(before, after)] == ["session_start"]
    assert after["cards"] == len(MANIFEST.artworks)
    home = shot(fresh, tmp_path, "home")
    assert difference(home, attract) > 25
    # the calm dark top bar
    assert brightness(region(home, (0.3, 0, 0.6, 0.1))) < 50


def test_tapping_a_card_opens_that_artwork_on_its_screen_image(
    fresh: KioskProcess, tmp_path: Path
) -> None:
    fresh.send("tap", x=640, y=400)
    before = fresh.send("state")
    after = fresh.send("tap", card=1)
    harvest = MANIFEST.artworks[1]
    assert (after["screen"], after["artwork"]) == ("artwork", "harvest")
    assert after["title"] == "The Harvest"
    assert Path(after["zoom_image"]).name.startswith(harvest.image.variants["screen"].sha256)
    assert [(n["action"], n["artwork"]) for n in new_notes(before, after)] == [
        ("view_artwork", "harvest")
    ]
    img = shot(fresh, tmp_path, "artwork")
    left, right = region(img, (0.05, 0.2, 0.55, 0.85)), region(img, (0.62, 0.6, 0.98, 0.85))
    assert variety(left) > 15  # the painting
    assert brightness(right) < 60  # text on the dark background


def qr_links(img: Image.Image) -> list[str]:
    """The links of the QR codes a screenshot shows, read by zbar."""
    from pyzbar.pyzbar import ZBarSymbol, decode

    return [found.data.decode() for found in decode(img, symbols=[ZBarSymbol.QRCODE])]


def test_artwork_screen_shows_its_take_it_home_qr_with_its_short_link(
    fresh: KioskProcess, tmp_path: Path
) -> None:
    fresh.send("tap", x=640, y=400)
    after = fresh.send("tap", card=1)
    assert after["artwork"] == "harvest"
    img = shot(fresh, tmp_path, "artwork-qr")
    assert qr_links(img) == [f"{fresh.hub_url}/b/h1"]  # the fixed tag standing by it
    w, h = img.size
    found = fresh.send("find", text="Continue on your phone")
    assert found["found"]
    # small and calm: the code takes a corner of the text column, not the screen
    qr = fresh.send("widget", name="qr")
    assert qr["width"] * qr["height"] < 0.02 * w * h
    assert qr["x"] > w * 0.55


def test_take_it_home_qr_links_to_the_guide_page_when_no_beacon_names_the_artwork(
    fresh: KioskProcess, tmp_path: Path
) -> None:
    fresh.send("tap", x=640, y=400)
    assert fresh.send("tap", card=0)["artwork"] == "wave"
    fresh.send("tap", text="FR")
    img = shot(fresh, tmp_path, "artwork-qr-fr")
    assert qr_links(img) == [f"{fresh.hub_url}/guide/artworks/wave"]
    assert fresh.send("find", text="Continuez sur votre téléphone")["found"]


def test_pinch_zooms_into_the_sharp_image_and_panning_keeps_it_in_view(
    fresh: KioskProcess, tmp_path: Path
) -> None:
    fresh.send("tap", x=640, y=400)
    fresh.send("tap", card=0)
    unzoomed = shot(fresh, tmp_path, "unzoomed")
    before = fresh.send("state")
    (vx, vy), (vw, vh) = before["zoom_view"]
    after = fresh.send("pinch", center=[vx + vw / 2, vy + vh / 2], start=80, end=320)
    assert after["zoom_scale"] > 2.5
    wave = MANIFEST.artworks[0]
    assert Path(after["zoom_image"]).name.startswith(wave.image.variants["zoom"].sha256)
    assert [n["action"] for n in new_notes(before, after)] == ["zoom"]
    zoomed = shot(fresh, tmp_path, "zoomed")
    assert difference(zoomed, unzoomed) > 5
    # drag far beyond the edge: the image stops at its border, the view stays covered
    dragged = fresh.send("drag", start=[vx + 100, vy + 100], end=[vx + vw + 600, vy + vh + 600])
    (bx, by), (bw, bh) = dragged["zoom_bbox"]
    assert bx <= vx + 1 and by <= vy + 1
    assert bx + bw >= vx + vw - 1 and by + bh >= vy + vh - 1
    assert (bx, by) != tuple(after["zoom_bbox"][0])  # it did move
    # a second pinch in the same view is not a second "zoom" interaction
    again = fresh.send("pinch", center=[vx + vw / 2, vy + vh / 2], start=300, end=200)
    assert [n["action"] for n in new_notes(dragged, again)] == []


def test_double_tap_zooms_in_and_a_second_one_shows_the_whole_image(
    fresh: KioskProcess,
) -> None:
    fresh.send("tap", x=640, y=400)
    fresh.send("tap", card=0)
    (vx, vy), (vw, vh) = fresh.send("state")["zoom_view"]
    zoomed = fresh.send("double_tap", x=vx + vw / 3, y=vy + vh / 3)
    assert zoomed["zoom_scale"] == pytest.approx(2.5)
    (bx, by), (bw, bh) = zoomed["zoom_bbox"]
    assert bx <= vx + 1 and bx + bw >= vx + vw - 1  # still covering the view
    assert by <= vy + 1 and by + bh >= vy + vh - 1
    whole = fresh.send("double_tap", x=vx + vw / 2, y=vy + vh / 2)
    assert whole["zoom_scale"] == pytest.approx(1.0)


def test_language_switch_changes_every_text_and_is_noted(
    fresh: KioskProcess, tmp_path: Path
) -> None:
    fresh.send("tap", x=640, y=400)
    fresh.send("tap", card=0)
    english = shot(fresh, tmp_path, "en")
    before = fresh.send("state")
    after = fresh.send("tap", text="FR")
    assert after["language"] == "fr" and after["title"] == "La Vague"
    assert [(n["action"], n["language"]) for n in new_notes(before, after)] == [("language", "fr")]
    french = shot(fresh, tmp_path, "fr")
    # only the texts changed: the painting (left) is the same, the label (right) is not
    w, h = WINDOW
    painting = (0, int(0.2 * h), int(0.55 * w), int(0.85 * h))
    label = (int(0.6 * w), int(0.12 * h), w, int(0.6 * h))
    assert difference(english.crop(painting), french.crop(painting)) < 1
    assert difference(english.crop(label), french.crop(label)) > 2
    assert fresh.send("tap", text="‹  Retour")["screen"] == "home"


def test_info_screen_shows_practical_information(fresh: KioskProcess, tmp_path: Path) -> None:
    fresh.send("tap", x=640, y=400)
    before = fresh.send("state")
    after = fresh.send("tap", text="Visit")
    assert after["screen"] == "info"
    assert [n["action"] for n in new_notes(before, after)] == ["info"]
    img = shot(fresh, tmp_path, "info")
    assert brightness(region(img, (0.6, 0.25, 0.95, 0.8))) > 120  # the (light) floor plan
    assert fresh.send("tap", text="‹  Back")["screen"] == "home"


def test_idle_timeout_warns_then_returns_to_attract_and_forgets_the_session(
    fresh: KioskProcess, tmp_path: Path
) -> None:
    fresh.send("tap", x=640, y=400)
    fresh.send("tap", text="FR")
    fresh.send("tap", text="A+")
    started = fresh.send("tap", card=0)
    session = started["session"]
    # (the margin leaves room for a slow machine: real time passes too)
    waiting = fresh.send("advance", seconds=IDLE_S - 20)
    assert waiting["screen"] == "artwork" and waiting["idle_left"] == -1
    plain = shot(fresh, tmp_path, "reading")
    warned = fresh.send("advance", seconds=15)  # the last seconds: "still there?"
    assert warned["screen"] == "artwork" and 0 <= warned["idle_left"] <= 10
    banner = shot(fresh, tmp_path, "still-there")
    bottom = (int(WINDOW[0] * 0.3), int(WINDOW[1] * 0.85), int(WINDOW[0] * 0.7), WINDOW[1])
    assert difference(plain.crop(bottom), banner.crop(bottom)) > 10
    answered = fresh.send("tap", x=640, y=200)  # on the painting: "still there" answered
    assert answered["idle_left"] == -1 and answered["screen"] == "artwork"
    assert answered["zoom_scale"] == 1.0  # and the touch did nothing else
    waiting = fresh.send("advance", seconds=IDLE_S - 8)  # idle again, into the warning
    assert waiting["screen"] == "artwork" and waiting["idle_left"] >= 0
    after = fresh.send("advance", seconds=21)  # past the end
    assert after["screen"] == "attract" and after["session"] is None
    assert (after["language"], after["large_text"]) == ("en", False)
    ended = [n for n in new_notes(waiting, after)]
    assert [(n["action"], n["session"]) for n in ended] == [("session_end", session)]
    again = fresh.send("tap", x=640, y=400)
    assert again["session"] not in (None, session)


def test_large_text_and_high_contrast_restyle_the_screens(
    fresh: KioskProcess, tmp_path: Path
) -> None:
    fresh.send("tap", x=640, y=400)
    fresh.send("tap", card=0)
    calm = shot(fresh, tmp_path, "calm")
    before = fresh.send("state")
    fresh.send("tap", text="A+")
    after = fresh.send("tap", text="◐")
    assert after["large_text"] and after["high_contrast"]
    assert [n["action"] for n in new_notes(before, after)] == ["accessibility", "accessibility"]
    contrast = shot(fresh, tmp_path, "contrast")
    text_area = (0.6, 0.12, 0.98, 0.85)
    # pure black background instead of the warm dark grey, pure white text
    assert share(calm, text_area, lambda p: max(p) < 6) < 0.05
    assert share(contrast, text_area, lambda p: max(p) < 6) > 0.5
    assert share(contrast, text_area, lambda p: min(p) > 248) > 0.02
    assert share(calm, text_area, lambda p: min(p) > 248) < 0.002
    # the label takes more room in larger text
    calm_rows = rows_with_text(calm, text_area)
    assert rows_with_text(contrast, text_area) > calm_rows * 1.15


def test_search_finds_an_artist_without_accents(fresh: KioskProcess) -> None:
    fresh.send("tap", x=640, y=400)
    before = fresh.send("tap", text="Search")
    assert before["browse_mode"] == "search"
    after = fresh.send("type", text="elise")
    assert after["cards"] == 1
    assert [n["action"] for n in new_notes(before, after)] == ["search"]
    themes = fresh.send("tap", text="Themes")
    assert themes["cards"] == sum(len(a.themes) for a in MANIFEST.artworks)


def test_audio_description_plays_and_pauses(fresh: KioskProcess) -> None:
    fresh.send("tap", x=640, y=400)
    fresh.send("tap", card=0)
    before = fresh.send("state")
    playing = fresh.send("tap", text="[font=DejaVuSans]▶[/font]  Listen")
    assert playing["audio_playing"]
    paused = fresh.send("tap", text="[font=DejaVuSans]❚❚[/font]  Pause")
    assert not paused["audio_playing"]
    assert [n["action"] for n in new_notes(before, paused)] == ["audio_play", "audio_pause"]


def test_long_press_in_the_corner_opens_the_technician_screen(fresh: KioskProcess) -> None:
    fresh.send("tap", x=640, y=400)
    short = fresh.send("tap", x=10, y=WINDOW[1] - 10)
    assert short["screen"] != "technician"
    held = fresh.send("tap", x=10, y=WINDOW[1] - 10, hold=3.3)
    assert held["screen"] == "technician" and held["session"] is None
    back = fresh.send("tap", text="Back to visitors")
    assert back["screen"] == "attract"


def test_the_technician_keypad_stays_put_while_the_messages_change(
    fresh: KioskProcess,
) -> None:
    fresh.send("tap", x=640, y=400)
    assert fresh.send("tap", x=10, y=WINDOW[1] - 10, hold=3.3)["screen"] == "technician"
    keypad = fresh.send("widget", name="keypad")
    long_text = "the hub refused this kiosk's token (401): it was revoked on the hub. " * 4
    for details, status in [
        ("not paired: enter a pairing code from the hub", ""),
        (long_text, "Pairing…"),
        (long_text, long_text),
        ("", ""),
    ]:
        fresh.send("technician_messages", details=details, status=status)
        assert fresh.send("widget", name="keypad") == keypad, (details, status)
    assert fresh.send("tap", text="Back to visitors")["screen"] == "attract"


def test_first_start_without_pairing_shows_the_technician_screen(
    display: str, tmp_path: Path
) -> None:
    proc = KioskProcess(display, tmp_path / "new", "--hub", f"http://127.0.0.1:{closed_port()}")
    try:
        state = proc.send("state")
        assert state["screen"] == "technician" and not state["paired"]
        assert state["content_version"] is None
        touched = proc.send("tap", x=900, y=100)
        assert touched["screen"] == "technician" and touched["notes"] == []
        img = shot(proc, tmp_path, "technician")
        assert variety(ImageStat.Stat(img)) > 10  # the keypad and the words, not a blank
    finally:
        proc.close()
    assert "Traceback" not in proc.log()


def test_new_content_waits_until_the_visitor_has_left(
    fresh: KioskProcess, kiosk_state: Path
) -> None:
    started = fresh.send("tap", x=640, y=400)
    assert started["content_version"] == "v1"
    fill_cache_staged(kiosk_state, "v2")  # as the link does when the hub publishes
    during = fresh.send("advance", seconds=5)
    assert during["screen"] == "home" and during["content_version"] == "v1"
    after = fresh.send("advance", seconds=IDLE_S)
    assert after["screen"] == "attract" and after["content_version"] == "v2"


def test_fullscreen_search_opens_the_docked_keyboard_and_the_kiosk_quits_cleanly(
    display: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    fill_cache(state)
    proc = KioskProcess(display, state, "--offline", "--fullscreen")
    try:
        proc.send("tap", x=640, y=400)
        proc.send("tap", text="Search")
        before = shot(proc, tmp_path, "search")
        typing = proc.send("tap", widget="search_field")
        assert typing["keyboard_shown"]
        keyboard = shot(proc, tmp_path, "keyboard")
        bottom = (0, int(WINDOW[1] * 0.6), WINDOW[0], WINDOW[1])
        assert difference(before.crop(bottom), keyboard.crop(bottom)) > 20
        found = proc.send("type", text="harvest")
        assert found["cards"] == 1
    finally:
        proc.close()  # quits while a visitor is searching
    assert proc.proc.returncode == 0
    assert "Traceback" not in proc.log()
