"""Identify a bundle's media files by their content: real image or real audio, size, duration.

Images are read with Pillow (header only here; derivatives decode them fully).
Audio is recognised from its container header: Ogg (Vorbis or Opus, with the
duration from the last page's granule position), WAV and MP3.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import wave
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from hub.content.checks import MediaInfo

MAX_MEDIA_BYTES = 200 * 1024 * 1024
IMAGE_MIMES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_ORIENTATION_TAG = 0x0112


def probe_file(bundle_dir: Path, rel: str) -> MediaInfo | str:
    """What the file ``rel`` of the bundle is, or a sentence saying why it cannot be used."""
    path = bundle_dir / rel
    try:
        if path.is_symlink() or not path.is_file():
            return "file not found (or not a regular file)"
        if not path.resolve().is_relative_to(bundle_dir.resolve()):
            return "file lies outside the bundle folder"
        size = path.stat().st_size
        if size > MAX_MEDIA_BYTES:
            return f"file too large ({size} bytes, at most {MAX_MEDIA_BYTES})"
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return probe_bytes(rel, data)


def probe_bytes(rel: str, data: bytes) -> MediaInfo | str:
    """Identify media content given as bytes."""
    sha = hashlib.sha256(data).hexdigest()
    image = _probe_image(data)
    if image is not None:
        if isinstance(image, str):
            return image
        mime, width, height = image
        return MediaInfo(path=rel, kind="image", mime=mime, sha256=sha, bytes=len(data),
                         width=width, height=height)
    audio = probe_audio(data)
    if audio is not None:
        mime, duration = audio
        return MediaInfo(path=rel, kind="audio", mime=mime, sha256=sha, bytes=len(data),
                         duration_s=duration)
    return "neither an image (JPEG, PNG, WebP) nor audio (Ogg, WAV, MP3) this hub can read"


def _probe_image(data: bytes) -> tuple[str, int, int] | str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                im.verify()  # must come first, on a freshly opened image
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format or ""
                width, height = im.size
                orientation = im.getexif().get(_ORIENTATION_TAG, 1)
    except UnidentifiedImageError:
        return None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "image too large in pixels to decode safely"
    except (OSError, SyntaxError, ValueError, RuntimeError, struct.error, EOFError) as exc:
        return f"broken image ({exc})"
    if fmt not in IMAGE_MIMES:
        return f"image format {fmt or 'unknown'} is not served; use JPEG, PNG or WebP"
    if orientation in (5, 6, 7, 8):  # rotated by 90 degrees when displayed
        width, height = height, width
    return IMAGE_MIMES[fmt], width, height


def probe_audio(data: bytes) -> tuple[str, float | None] | None:
    """(mime, duration in seconds or None) of Ogg, WAV or MP3 data; None when it is none of them."""
    if data.startswith(b"OggS"):
        return _probe_ogg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            with wave.open(io.BytesIO(data)) as w:
                rate = w.getframerate()
                return "audio/wav", (w.getnframes() / rate if rate else None)
        except (wave.Error, EOFError, struct.error):
            return None
    if data.startswith(b"ID3") or (len(data) > 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg", None
    return None


def _probe_ogg(data: bytes) -> tuple[str, float | None] | None:
    # First page: 27-byte header, segment table, then the codec's identification packet.
    if len(data) < 28:
        return None
    nsegs = data[26]
    body = data[27 + nsegs : 27 + nsegs + 64]
    if body.startswith(b"\x01vorbis") and len(body) >= 16:
        rate = struct.unpack_from("<I", body, 12)[0]
        mime, preskip = "audio/ogg", 0
    elif body.startswith(b"OpusHead") and len(body) >= 12:
        preskip = struct.unpack_from("<H", body, 10)[0]
        mime, rate = "audio/ogg; codecs=opus", 48000
    else:
        return None
    last = data.rfind(b"OggS", max(0, len(data) - 65536))
    duration: float | None = None
    if rate and last >= 0 and len(data) >= last + 14:
        granule = struct.unpack_from("<q", data, last + 6)[0]
        if granule > 0:
            duration = round(max(0, granule - preskip) / rate, 3)
    return mime, duration
