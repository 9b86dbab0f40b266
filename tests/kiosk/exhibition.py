"""A small exhibition made on the fly with Pillow: manifest bytes and media by sha256.

The images are distinct painted-looking compositions so that screenshots of different
artworks differ; the audio is a short silent WAV.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import struct
import wave
from pathlib import Path
from typing import Any

import msgspec
from PIL import Image, ImageDraw, ImageFilter

from hub.client.manifest import Manifest, manifest_decoder

PALETTES = [
    ((28, 52, 92), (214, 168, 84), (236, 226, 204)),  # blue and ochre
    ((104, 36, 30), (222, 140, 64), (246, 224, 180)),  # red earth
    ((34, 70, 48), (150, 180, 110), (230, 236, 210)),  # green landscape
    ((60, 40, 80), (200, 120, 160), (240, 220, 235)),  # violet
]


def painting(index: int, width: int, height: int) -> Image.Image:
    """A soft composition: sky gradient, a horizon, a sun and some strokes."""
    dark, mid, light = PALETTES[index % len(PALETTES)]
    img = Image.new("RGB", (width, height), dark)
    draw = ImageDraw.Draw(img)
    horizon = int(height * (0.55 + 0.1 * math.sin(index)))
    for y in range(horizon):
        t = y / max(1, horizon - 1)
        color = tuple(int(light[c] * (1 - t) + mid[c] * t) for c in range(3))
        draw.line([(0, y), (width, y)], fill=color)
    for y in range(horizon, height):
        t = (y - horizon) / max(1, height - horizon)
        color = tuple(int(mid[c] * (1 - t) * 0.6 + dark[c] * (0.4 + 0.6 * t)) for c in range(3))
        draw.line([(0, y), (width, y)], fill=color)
    r = int(min(width, height) * 0.09)
    cx, cy = int(width * (0.25 + 0.15 * index)), int(horizon * 0.45)
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(250, 240, 220))
    for k in range(14):
        x = int(width * ((k * 37 + index * 11) % 100) / 100)
        y = horizon + int((height - horizon) * ((k * 53) % 100) / 110)
        draw.rectangle([x, y, x + width // 9, y + height // 60], fill=mid)
    return img.filter(ImageFilter.GaussianBlur(radius=max(1, width // 400)))


@functools.cache
def painted_jpeg(index: int, width: int, height: int) -> bytes:
    """The painting as JPEG bytes (made once per process)."""
    out = io.BytesIO()
    painting(index, width, height).save(out, format="JPEG", quality=85)
    return out.getvalue()


@functools.cache
def _wav(seconds: float = 30.0) -> bytes:
    """A quiet tone, long enough that it is still playing when a test pauses it."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        frames = b"".join(
            struct.pack("<h", int(800 * math.sin(2 * math.pi * 440 * i / 8000)))
            for i in range(int(8000 * seconds))
        )
        wav.writeframes(frames)
    return out.getvalue()


def _ref(data: bytes, mime: str, media: dict[str, bytes], **extra: Any) -> dict[str, Any]:
    sha = hashlib.sha256(data).hexdigest()
    media[sha] = data
    return {"sha256": sha, "mime": mime, "bytes": len(data), **extra}


def _map(media: dict[str, bytes]) -> dict[str, Any]:
    out = io.BytesIO()
    floor_plan(900, 600).save(out, format="PNG")
    screen = _ref(out.getvalue(), "image/png", media, width=900, height=600)
    return {**screen, "variants": {"screen": screen}}


def _image(index: int, media: dict[str, bytes]) -> dict[str, Any]:
    variants = {}
    for name, (w, h) in {"thumb": (320, 240), "screen": (1200, 900), "zoom": (2400, 1800)}.items():
        variants[name] = _ref(painted_jpeg(index, w, h), "image/jpeg", media, width=w, height=h)
    original = painted_jpeg(index, 800, 600)
    return _ref(original, "image/jpeg", media, width=800, height=600, variants=variants)


ARTWORKS = [
    ("wave", "La Vague", "The Wave", "Louise Martin", "1881", "room-1", ["sea", "light"]),
    ("harvest", "La Moisson", "The Harvest", "Jean Roux", "1874", "room-1", ["land"]),
    ("garden", "Le Jardin", "The Garden", "Élise Bernard", "1890", "room-2", ["land", "light"]),
    ("dusk", "Le Crépuscule", "Dusk", "Paul Lefèvre", "1902", "room-2", ["sea"]),
]


def floor_plan(width: int, height: int) -> Image.Image:
    """A simple plan of two rooms, for the practical information screen."""
    img = Image.new("RGB", (width, height), (236, 230, 218))
    draw = ImageDraw.Draw(img)
    m = width // 20
    draw.rectangle([m, m, width // 2, height - m], outline=(60, 52, 44), width=max(2, width // 150))
    draw.rectangle(
        [width // 2, m, width - m, height - m], outline=(60, 52, 44), width=max(2, width // 150)
    )
    draw.rectangle(
        [width // 2 - 4, height // 2 - m, width // 2 + 4, height // 2 + m], fill=(236, 230, 218)
    )
    draw.rectangle([m * 2, m * 2, width // 2 - m, height // 3], fill=(200, 168, 110))
    draw.rectangle(
        [width // 2 + m, height // 2, width - 2 * m, height - 2 * m], fill=(150, 180, 110)
    )
    return img


def build_exhibition(
    version: str = "v1", *, audio: bool = True
) -> tuple[Manifest, bytes, dict[str, bytes]]:
    """A manifest (decoded and as bytes) and the media it names, by sha256."""
    media: dict[str, bytes] = {}
    artworks = []
    for i, (aid, fr, en, artist, date, zone, themes) in enumerate(ARTWORKS):
        item: dict[str, Any] = {
            "id": aid,
            "title": {"fr": fr, "en": en},
            "artist": artist,
            "date": date,
            "medium": {"fr": "Huile sur toile", "en": "Oil on canvas"},
            "text": {
                "fr": f"{fr} : une œuvre peinte en {date}. " * 6,
                "en": f"{en}: a work painted in {date}. " * 6,
            },
            "image": _image(i, media),
            "zone": zone,
            "themes": themes,
        }
        if audio and i == 0:
            item["audio"] = {"en": _ref(_wav(), "audio/wav", media, duration_s=30.0)}
        artworks.append(item)
    doc = {
        "version": version,
        "exhibition": {
            "id": "demo",
            "title": {"fr": "Lumières du Nord", "en": "Northern Lights"},
            "subtitle": {"fr": "Peintures 1870–1910", "en": "Paintings 1870–1910"},
            "languages": ["en", "fr"],
            "default_language": "en",
            "themes": {
                "sea": {"en": "The sea", "fr": "La mer"},
                "land": {"en": "The land", "fr": "La terre"},
                "light": {"en": "Light", "fr": "La lumière"},
            },
        },
        "zones": [
            {"id": "room-1", "name": {"en": "Room 1 · The coast", "fr": "Salle 1 · La côte"}},
            {"id": "room-2", "name": {"en": "Room 2 · Gardens", "fr": "Salle 2 · Jardins"}},
        ],
        "artworks": artworks,
        "beacons": [
            # the tag by The Harvest (its label's and its kiosk QR's /b/ link); a room's
            # agent beacon names no artwork
            {"id": "h1", "kind": "fixed", "artwork": "harvest", "zone": "room-1"},
            {"id": "agent-room-1", "kind": "agent", "zone": "room-1"},
        ],
        "info": {
            "hours": {
                "en": "Tuesday to Sunday, 10:00–18:00",
                "fr": "Du mardi au dimanche, 10 h–18 h",
            },
            "accessibility": {
                "en": "Step-free access at the main entrance. Wheelchairs on loan.",
                "fr": "Accès de plain-pied par l'entrée principale. Fauteuils en prêt.",
            },
            "address": "1 rue du Musée, Lille",
            "map": _map(media),
            "events": [
                {
                    "date": "2026-12-05",
                    "title": {"en": "Curator's tour", "fr": "Visite commissaire"},
                },
            ],
        },
    }
    raw = msgspec.json.encode(doc)
    return manifest_decoder.decode(raw), raw, media


def cache_bundle(bundle_dir: Path, state: Path, work_dir: Path) -> Manifest:
    """Publish a content bundle as the hub does and put it in a kiosk's cache (no network)."""
    from hub.content.library import ContentLibrary
    from kiosk.cache import ContentCache

    published = ContentLibrary(bundle_dir, work_dir).reload()
    cache = ContentCache(state / "content")
    for ref in cache.missing(published.manifest):
        source = published.media_path(ref.sha256)
        assert source is not None, ref.sha256
        cache.store_media(ref, source.read_bytes())
    cache.stage(msgspec.json.encode(published.manifest))
    cache.promote()
    return published.manifest
