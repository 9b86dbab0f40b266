"""Media are recognised by their content: real images and real audio, with sizes and durations."""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path

import pytest
from PIL import Image

from hub.content.checks import MediaInfo
from hub.content.probe import probe_bytes, probe_file
from tests.content.bundles import DEMO


def test_demo_ogg_duration_matches_sox() -> None:
    ogg = next((DEMO / "media").glob("*.ogg"))
    info = probe_file(DEMO, f"media/{ogg.name}")
    assert isinstance(info, MediaInfo)
    assert (info.kind, info.mime) == ("audio", "audio/ogg")
    soxi = subprocess.run(["soxi", "-D", str(ogg)], capture_output=True, text=True, check=False)
    if soxi.returncode != 0:
        pytest.skip("soxi is not installed")
    assert info.duration_s == pytest.approx(float(soxi.stdout), abs=0.1)


def test_wav_duration_is_read() -> None:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000 * 3)
    info = probe_bytes("media/a.wav", out.getvalue())
    assert isinstance(info, MediaInfo)
    assert (info.mime, info.duration_s) == ("audio/wav", 3.0)


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                           ("WEBP", "image/webp")])
def test_images_are_known_by_content_not_name(fmt: str, mime: str) -> None:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(out, fmt)
    info = probe_bytes("media/named-wrongly.ogg", out.getvalue())
    assert isinstance(info, MediaInfo)
    assert (info.kind, info.mime, info.width, info.height) == ("image", mime, 30, 20)


def test_unsupported_image_format_is_named() -> None:
    out = io.BytesIO()
    Image.new("RGB", (30, 20)).save(out, "BMP")
    problem = probe_bytes("media/x.bmp", out.getvalue())
    assert isinstance(problem, str) and "BMP" in problem


def test_missing_file_is_named(tmp_path: Path) -> None:
    assert probe_file(tmp_path, "media/none.jpg") == "file not found (or not a regular file)"
