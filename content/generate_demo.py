"""Rebuild the demo exhibition's media: procedural paintings (Pillow) and audio descriptions.

Every image of ``content/demo/media`` is generated here, from a fixed seed per
artwork, for Cimaise; the audio descriptions are the artworks' texts read by
``espeak-ng`` and compressed to Ogg Vorbis with ``sox``. The JSON files of the
bundle (texts, zones, beacons) are written by hand and only read here.

Usage (from the repository root)::

    .venv/bin/python content/generate_demo.py            # images and audio
    .venv/bin/python content/generate_demo.py --images   # images only
    .venv/bin/python content/generate_demo.py --audio    # audio only (needs espeak-ng, sox)
    .venv/bin/python content/generate_demo.py --schema   # rewrite content/schema/ from the code
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

DEMO = Path(__file__).resolve().parent / "demo"
SCHEMA = Path(__file__).resolve().parent / "schema" / "content-bundle.schema.json"
MEDIA = DEMO / "media"

Color = tuple[int, int, int]
Stops = Sequence[tuple[float, Color]]


# ---------------------------------------------------------------- building blocks


def hexc(value: str) -> Color:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def ramp(gray: Image.Image, stops: Stops) -> Image.Image:
    """Colour a greyscale image through a gradient of (position 0..1, colour) stops."""
    luts: list[list[int]] = [[], [], []]
    for i in range(256):
        t = i / 255
        for (p0, c0), (p1, c1) in itertools.pairwise(stops):
            if t <= p1 or (p1 == stops[-1][0]):
                f = 0.0 if p1 == p0 else min(1.0, max(0.0, (t - p0) / (p1 - p0)))
                for ch in range(3):
                    luts[ch].append(round(c0[ch] + (c1[ch] - c0[ch]) * f))
                break
    return Image.merge("RGB", [gray.point(lut) for lut in luts])


def noise(rng: random.Random, size: tuple[int, int], scale: float) -> Image.Image:
    """Smooth value noise: random greys on a coarse grid, upscaled bicubically."""
    w, h = size
    cw, ch = max(2, int(w / scale) + 2), max(2, int(h / scale) + 2)
    coarse = Image.frombytes("L", (cw, ch), rng.randbytes(cw * ch))
    return coarse.resize(size, Image.Resampling.BICUBIC)


def fbm(rng: random.Random, size: tuple[int, int], base: float, octaves: int = 5) -> Image.Image:
    """Fractal noise: octaves of value noise, each half the scale and half the weight."""
    out = noise(rng, size, base)
    weight = 0.5
    scale = base / 2
    for _ in range(octaves - 1):
        layer = noise(rng, size, max(scale, 1.5))
        out = Image.blend(out, layer, weight / (1 + weight))
        weight /= 2
        scale /= 2
    return ImageOps.autocontrast(out, cutoff=1)


def vertical(size: tuple[int, int]) -> Image.Image:
    """0 at the top, 255 at the bottom."""
    return Image.linear_gradient("L").resize(size, Image.Resampling.BICUBIC)


def radial(size: tuple[int, int], center: tuple[float, float], radius: float) -> Image.Image:
    """0 at ``center`` growing to 255 at ``radius`` (pixels) and beyond."""
    side = int(radius * 2)
    disc = Image.radial_gradient("L").resize((side, side), Image.Resampling.BICUBIC)
    # Pillow's gradient reaches 255 only in the square's corners (181 at its sides):
    # rescale so it reaches 255 on the inscribed circle, or a seam shows at the sides
    disc = disc.point(lambda v: min(255, v * 255 // 178))
    # radial_gradient reaches 255 at the square's inscribed circle; outside stays 255
    out = Image.new("L", size, 255)
    out.paste(disc, (int(center[0] - radius), int(center[1] - radius)))
    return out


def grain(img: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    """A fine canvas grain, so flat areas look painted rather than printed."""
    g = noise(rng, img.size, 1.3).convert("RGB")
    return Image.blend(img, ImageChops.overlay(img, g), amount)


def save(img: Image.Image, name: str, quality: int = 84) -> None:
    MEDIA.mkdir(parents=True, exist_ok=True)
    path = MEDIA / name
    if name.endswith(".png"):
        img.save(path, "PNG", optimize=True)
    else:
        img.convert("RGB").save(path, "JPEG", quality=quality, optimize=True, progressive=True,
                                subsampling=2)
    print(f"{path.relative_to(DEMO)}: {img.size[0]}x{img.size[1]}, {path.stat().st_size} bytes")


# ---------------------------------------------------------------- the paintings


def lagoon(rng: random.Random, size: tuple[int, int] = (6000, 4000)) -> Image.Image:
    """Dawn over a lagoon: graded sky, low sun, drifting clouds, islands, a mirroring sea."""
    w, h = size
    horizon = int(h * 0.58)
    sky = ramp(vertical((w, horizon)), [
        (0.0, hexc("1b1f4a")), (0.35, hexc("5b3a78")), (0.65, hexc("d0607a")),
        (0.88, hexc("f7a867")), (1.0, hexc("ffe6a8")),
    ])
    sun_c = (w * 0.63, horizon * 0.86)
    glow = ImageOps.invert(radial((w, horizon), sun_c, h * 0.55))
    sky = ImageChops.screen(sky, ramp(glow, [(0, (0, 0, 0)), (0.7, hexc("6a3a20")),
                                              (1, hexc("fff0c0"))]))
    disc = Image.new("L", (w, horizon), 0)
    r = h * 0.045
    ImageDraw.Draw(disc).ellipse([sun_c[0] - r, sun_c[1] - r, sun_c[0] + r, sun_c[1] + r], 255)
    sky.paste(hexc("fff4d6"), mask=disc.filter(ImageFilter.GaussianBlur(h * 0.004)))
    # clouds: stretched fractal noise, kept to the upper sky, lit from below
    clouds = fbm(rng, (w // 4, horizon // 4), 180, 5).resize((w, horizon), Image.Resampling.BICUBIC)
    clouds = clouds.resize((w, horizon // 3)).resize((w, horizon), Image.Resampling.BICUBIC)
    mask = ImageChops.multiply(clouds.point(lambda v: max(0, min(255, (v - 120) * 3))),
                               ImageOps.invert(vertical((w, horizon))).point(lambda v: v * 0.85))
    lit = ramp(clouds, [(0, hexc("3a2a55")), (0.6, hexc("b0587a")), (1, hexc("ffc58a"))])
    sky = Image.composite(lit, sky, mask)
    # islands: a ragged silhouette on the horizon
    islands = Image.new("L", (w, horizon), 0)
    draw = ImageDraw.Draw(islands)
    for x0, width, height in ((0.05, 0.22, 0.07), (0.3, 0.1, 0.035), (0.78, 0.2, 0.05)):
        pts = [(w * x0, horizon)]
        steps = 60
        for i in range(steps + 1):
            t = i / steps
            bump = math.sin(math.pi * t) ** 0.7 * height * h * (0.8 + 0.4 * rng.random())
            pts.append((w * (x0 + width * t), horizon - bump))
        pts.append((w * (x0 + width), horizon))
        draw.polygon(pts, fill=255)
    sky.paste(hexc("24183a"), mask=islands.filter(ImageFilter.GaussianBlur(3)))
    # sea: the sky mirrored and darkened, broken by horizontal ripples
    sea_h = h - horizon
    mirror = ImageOps.flip(sky).resize((w, sea_h), Image.Resampling.BICUBIC)
    ripples = noise(rng, (w // 40, sea_h), 6).resize((w, sea_h), Image.Resampling.BICUBIC)
    ripples = ripples.filter(ImageFilter.GaussianBlur(2))
    shifted = mirror.copy()  # the mirror moved down a little (no wrap-around from the bottom)
    shifted.paste(mirror.crop((0, 0, w, sea_h - 9)), (0, 9))
    sea = Image.composite(shifted, mirror, ripples.point(lambda v: 255 if v > 150 else 0))
    dark = Image.new("RGB", (w, sea_h), hexc("120c28"))
    sea = Image.composite(dark, sea, vertical((w, sea_h)).point(lambda v: int(v * 0.75)))
    glitter = ImageChops.multiply(
        ripples.point(lambda v: 255 if v > 200 else 0),
        ImageOps.invert(radial((w, sea_h), (sun_c[0], 0), h * 0.35)),
    )
    sea.paste(hexc("ffe2a0"), mask=glitter.filter(ImageFilter.GaussianBlur(1.2)))
    out = Image.new("RGB", size)
    out.paste(sky, (0, 0))
    out.paste(sea, (0, horizon))
    return grain(out, rng, 0.10)


def colour_field(rng: random.Random, size: tuple[int, int] = (1800, 2400)) -> Image.Image:
    """Two soft-edged fields of colour floating on a warm ground."""
    w, h = size
    ground = ramp(fbm(rng, size, 400, 4), [(0, hexc("7a1f1f")), (1, hexc("a8342a"))])
    for box, colour in (((0.1, 0.07, 0.9, 0.46), hexc("f0a531")),
                        ((0.1, 0.53, 0.9, 0.93), hexc("5b1420"))):
        mask = Image.new("L", size, 0)
        ImageDraw.Draw(mask).rectangle([box[0] * w, box[1] * h, box[2] * w, box[3] * h], 255)
        edge = fbm(rng, size, 60, 3)
        mask = ImageChops.multiply(mask.filter(ImageFilter.GaussianBlur(w * 0.02)),
                                   edge.point(lambda v: 150 + v * 105 // 255))
        tone = ramp(fbm(rng, size, 200, 4), [(0, colour), (1, tuple(min(255, c + 40)
                                                                     for c in colour))])
        ground = Image.composite(tone, ground, mask)  # type: ignore[arg-type]
    return grain(ground, rng, 0.12)


def halo(rng: random.Random, size: tuple[int, int] = (2000, 2000)) -> Image.Image:
    """Concentric rings of light breathing out from a bright centre."""
    w, h = size
    dist = radial(size, (w / 2, h / 2), w * 0.75)
    wobble = fbm(rng, size, 300, 3)
    dist = Image.blend(dist, wobble, 0.12)
    rings = dist.point(lambda v: int(127.5 + 127.5 * math.cos(v / 255 * math.pi * 14)))
    fade = dist.point(lambda v: max(0, 255 - v * 2))
    body = ramp(dist, [(0, hexc("fff6d8")), (0.25, hexc("f2b441")), (0.6, hexc("8a2d5c")),
                       (1, hexc("13102a"))])
    bright = ImageChops.screen(body, Image.merge("RGB", [rings.point(lambda v: v * 90 // 255)] * 3))
    return grain(Image.composite(bright, body, fade.point(lambda v: 80 + v * 175 // 255)), rng,
                 0.1)


def mist(rng: random.Random, size: tuple[int, int] = (1600, 2200)) -> Image.Image:
    """Layers of fog over a line of trees, each paler than the one before it."""
    w, h = size
    out = ramp(vertical(size), [(0, hexc("d9e2e0")), (1, hexc("9fb4b4"))])
    for layer in range(5):
        base_y = h * (0.35 + layer * 0.13)
        ridge = Image.new("L", size, 0)
        pts = [(0.0, float(h))]
        for x in range(0, w + 20, 20):
            y = base_y - 90 * math.sin(x / w * math.pi * (1.3 + layer * 0.4) + layer)
            y -= rng.random() * 40 if rng.random() < 0.4 else 0
            pts.append((float(x), y))
        pts.append((float(w), float(h)))
        ImageDraw.Draw(ridge).polygon(pts, fill=255)
        tone = 40 + layer * 22
        colour = (tone, tone + 25, tone + 28)
        out.paste(colour, mask=ridge.filter(ImageFilter.GaussianBlur(6 - layer)))
        fog = fbm(rng, size, 300, 4).point(lambda v: max(0, v - 90))
        out = Image.composite(Image.new("RGB", size, hexc("e4ecea")), out,
                              ImageChops.multiply(fog, vertical(size).point(lambda v: 150)))
    return grain(out, rng, 0.08)


def sienna(rng: random.Random, size: tuple[int, int] = (2400, 1600)) -> Image.Image:
    """Cracked earth pigments: a warm fractal crust crossed by fine dark fissures."""
    w, h = size
    crust = ramp(fbm(rng, size, 500, 6), [(0, hexc("4a2410")), (0.45, hexc("a0522d")),
                                          (0.8, hexc("d08a4e")), (1, hexc("f0c890"))])
    cracks = Image.new("L", size, 0)
    draw = ImageDraw.Draw(cracks)
    for _ in range(55):
        x, y = rng.random() * w, rng.random() * h
        angle = rng.random() * math.tau
        for _ in range(rng.randint(20, 80)):
            angle += rng.uniform(-0.6, 0.6)
            nx, ny = x + math.cos(angle) * 14, y + math.sin(angle) * 14
            draw.line([x, y, nx, ny], fill=255, width=rng.choice((2, 3, 4)))
            x, y = nx, ny
    crust.paste(hexc("2a1206"), mask=cracks.filter(ImageFilter.GaussianBlur(1.4)))
    relief = fbm(rng, size, 40, 3).filter(ImageFilter.EMBOSS).convert("RGB")
    return Image.blend(crust, ImageChops.overlay(crust, relief), 0.5)


def marble(rng: random.Random, size: tuple[int, int] = (2400, 1600)) -> Image.Image:
    """Blue marble: turbulent veins of white through deep ultramarine."""
    turb = fbm(rng, size, 500, 6)
    base = Image.linear_gradient("L").rotate(35, expand=False).resize(size)
    field = Image.blend(base, turb, 0.55)
    # half a step off zero, so a flat patch of the field never turns into a white blot
    veins = field.point(lambda v: int(255 * abs(math.sin((v + 0.5) / 255 * math.pi * 7)) ** 0.3))
    colour = ramp(veins, [(0, hexc("f4f6ff")), (0.25, hexc("8fa8d8")), (0.6, hexc("23408e")),
                          (1, hexc("0d1a45"))])
    return grain(colour, rng, 0.08)


def paper(rng: random.Random, size: tuple[int, int] = (2400, 1700)) -> Image.Image:
    """Crumpled paper: light raking across a folded, embossed sheet."""
    folds = Image.new("L", size, 128)
    draw = ImageDraw.Draw(folds)
    w, h = size
    for _ in range(40):
        x0, y0 = rng.random() * w, rng.random() * h
        x1, y1 = rng.random() * w, rng.random() * h
        draw.line([x0, y0, x1, y1], fill=rng.choice((60, 200)), width=rng.randint(3, 9))
    folds = folds.filter(ImageFilter.GaussianBlur(6))
    folds = Image.blend(folds, fbm(rng, size, 220, 5), 0.5)
    relief = folds.filter(ImageFilter.EMBOSS).filter(ImageFilter.GaussianBlur(1.5))
    relief = ImageOps.autocontrast(relief, cutoff=0.5)
    return grain(ramp(relief, [(0, hexc("6b6052")), (0.5, hexc("e6dcc8")),
                               (1, hexc("fffaf0"))]), rng, 0.06)


def lichen(rng: random.Random, size: tuple[int, int] = (2200, 1650)) -> Image.Image:
    """Lichen on stone: clusters of yellow and sage discs spreading over grey rock."""
    w, h = size
    stone = ramp(fbm(rng, size, 300, 6), [(0, hexc("4e5250")), (0.6, hexc("8c918c")),
                                          (1, hexc("c3c6bf"))])
    layer = Image.new("RGB", size)
    mask = Image.new("L", size, 0)
    draw_c, draw_m = ImageDraw.Draw(layer), ImageDraw.Draw(mask)
    palette = [hexc("d8c43a"), hexc("a9b957"), hexc("e69a2e"), hexc("c9d6a3")]
    for _ in range(16):
        cx, cy = rng.random() * w, rng.random() * h
        colour = rng.choice(palette)
        spread = rng.uniform(60, 260)
        for _ in range(rng.randint(80, 260)):
            r = rng.uniform(3, 22)
            x, y = rng.gauss(cx, spread), rng.gauss(cy, spread)
            shade = tuple(max(0, min(255, c + rng.randint(-25, 25))) for c in colour)
            draw_c.ellipse([x - r, y - r, x + r, y + r], fill=shade)  # type: ignore[arg-type]
            draw_m.ellipse([x - r, y - r, x + r, y + r], fill=rng.randint(170, 255))
    out = Image.composite(layer, stone, mask.filter(ImageFilter.GaussianBlur(1.5)))
    return grain(out, rng, 0.12)


def score(rng: random.Random, size: tuple[int, int] = (2400, 1600)) -> Image.Image:
    """A score for circles: staves of five lines and notes of every size and colour."""
    w, h = size
    out = ramp(fbm(rng, size, 600, 3), [(0, hexc("efe6d2")), (1, hexc("fbf5e6"))])
    draw = ImageDraw.Draw(out)
    palette = [hexc("c0392b"), hexc("1f3a93"), hexc("f1c40f"), hexc("16a085"), hexc("2c2c2c")]
    staves = 5
    for s in range(staves):
        top = h * (0.1 + s * 0.17)
        for line in range(5):
            y = top + line * 18
            draw.line([w * 0.05, y, w * 0.95, y], fill=hexc("6f6657"), width=2)
        x = w * 0.08
        while x < w * 0.92:
            r = rng.choice((10, 14, 22, 34, 50))
            y = top + rng.randint(-2, 6) * 9
            colour = rng.choice(palette)
            if rng.random() < 0.6:
                draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
            else:
                draw.ellipse([x - r, y - r, x + r, y + r], outline=colour, width=5)
            x += r * 2 + rng.choice((10, 30, 60, 110))
    return grain(out, rng, 0.08)


def waves(rng: random.Random, size: tuple[int, int] = (2400, 1600)) -> Image.Image:
    """Parallel waves: two hundred lines, each a slightly different sine, from teal to coral."""
    w, h = size
    out = ramp(vertical(size), [(0, hexc("0b1a2a")), (1, hexc("1c2b3f"))])
    draw = ImageDraw.Draw(out)
    lines = 200
    phase_drift = rng.uniform(0.02, 0.05)
    for i in range(lines):
        t = i / (lines - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(hexc("2ec4b6"), hexc("ff6b6b"),
                                                                 strict=True))
        amp = 40 + 60 * math.sin(t * math.pi)
        base = h * 0.08 + t * h * 0.84
        pts = [(float(x), base + amp * math.sin(x / w * math.tau * 2.2 + i * phase_drift)
                + 12 * math.sin(x / w * math.tau * 9 + i * 0.3))
               for x in range(0, w + 8, 8)]
        draw.line(pts, fill=colour, width=2)  # type: ignore[arg-type]
    return out.filter(ImageFilter.GaussianBlur(0.6))


def constellation(rng: random.Random, size: tuple[int, int] = (2400, 1600)) -> Image.Image:
    """A night sky: stars with halos, and the lines of an invented constellation."""
    w, h = size
    sky = ramp(vertical(size), [(0, hexc("03040f")), (0.7, hexc("0d1638")), (1, hexc("1f2a5a"))])
    milky = fbm(rng, size, 400, 5).point(lambda v: max(0, v - 140))
    sky = Image.composite(Image.new("RGB", size, hexc("4a5a9a")), sky, milky)
    stars = Image.new("L", size, 0)
    draw = ImageDraw.Draw(stars)
    for _ in range(2500):
        x, y = rng.random() * w, rng.random() * h
        r = rng.choice((0.6, 0.8, 1.0, 1.2, 1.8))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=rng.randint(120, 255))
    bright = [(w * (0.15 + 0.7 * rng.random()), h * (0.15 + 0.7 * rng.random())) for _ in range(9)]
    bright.sort()
    lines = ImageDraw.Draw(sky)
    lines.line(bright, fill=hexc("7f8fd0"), width=2)
    for x, y in bright:
        draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=255)
    glow = stars.filter(ImageFilter.GaussianBlur(8))
    sky = ImageChops.screen(sky, Image.merge("RGB", [glow, glow, glow.point(lambda v: min(255,
                                                                                   v * 2))]))
    return ImageChops.screen(sky, Image.merge("RGB", [stars] * 3))


def mosaic(rng: random.Random, size: tuple[int, int] = (2400, 1600)) -> Image.Image:
    """Evening mosaic: a rectangle split again and again, each piece a small sunset."""
    w, h = size
    out = Image.new("RGB", size, hexc("1a1423"))
    palette = [hexc(c) for c in ("f8b195", "f67280", "c06c84", "6c5b7b", "355c7d", "ffd27f")]
    cells: list[tuple[float, float, float, float]] = []

    def split(x0: float, y0: float, x1: float, y1: float, depth: int) -> None:
        if depth > 6 or (x1 - x0) * (y1 - y0) < w * h / 90 or (depth > 2 and rng.random() < 0.2):
            cells.append((x0, y0, x1, y1))
            return
        if (x1 - x0) > (y1 - y0):
            m = x0 + (x1 - x0) * rng.uniform(0.3, 0.7)
            split(x0, y0, m, y1, depth + 1)
            split(m, y0, x1, y1, depth + 1)
        else:
            m = y0 + (y1 - y0) * rng.uniform(0.3, 0.7)
            split(x0, y0, x1, m, depth + 1)
            split(x0, m, x1, y1, depth + 1)

    split(0, 0, w, h, 0)
    gap = 6
    for x0, y0, x1, y1 in cells:
        cw, ch = int(x1 - x0) - gap, int(y1 - y0) - gap
        if cw < 4 or ch < 4:
            continue
        a, b = rng.sample(palette, 2)
        tile = ramp(vertical((cw, ch)), [(0, a), (1, b)])
        out.paste(tile, (int(x0) + gap // 2, int(y0) + gap // 2))
    return grain(out, rng, 0.1)


def floor_plan() -> Image.Image:
    """The practical information's map: three rooms, the entrance and the way round."""
    w, h = 1200, 800
    out = Image.new("RGB", (w, h), hexc("fbf8f1"))
    draw = ImageDraw.Draw(out)
    ink = hexc("2b2b2b")
    rooms = [("A", (80, 120, 480, 680), hexc("f5d6a8")), ("B", (480, 120, 840, 680),
                                                          hexc("c9dbe8")),
             ("C", (840, 120, 1120, 680), hexc("d9e6c9"))]
    for label, box, fill in rooms:
        draw.rectangle(box, fill=fill, outline=ink, width=6)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        draw.ellipse([cx - 60, cy - 60, cx + 60, cy + 60], fill=hexc("fbf8f1"), outline=ink,
                     width=5)
        draw.text((cx, cy), label, fill=ink, anchor="mm", font_size=80)
    for x in (480, 840):  # doorways
        draw.rectangle([x - 8, 360, x + 8, 440], fill=hexc("fbf8f1"))
    draw.rectangle([240, 672, 320, 690], fill=hexc("fbf8f1"))  # entrance
    draw.polygon([(280, 780), (250, 730), (310, 730)], fill=ink)
    draw.line([(280, 740), (280, 700)], fill=ink, width=8)
    return out


PAINTINGS: dict[str, Callable[[random.Random], Image.Image]] = {
    "aube-sur-la-lagune": lagoon,
    "champ-de-lumiere": colour_field,
    "halo": halo,
    "brume-no-3": mist,
    "terre-de-sienne": sienna,
    "marbre-bleu": marble,
    "papier-froisse": paper,
    "lichen": lichen,
    "partition-pour-cercles": score,
    "vagues-paralleles": waves,
    "constellation": constellation,
    "mosaique-du-soir": mosaic,
}


def make_images(only: str | None = None) -> None:
    """Paint every artwork named in ``artworks/`` (same seed, same picture)."""
    for path in sorted((DEMO / "artworks").glob("*.json")):
        art = json.loads(path.read_text(encoding="utf-8"))
        if only and art["id"] != only:
            continue
        paint = PAINTINGS[art["id"]]
        seed = sum(ord(c) * (i + 1) for i, c in enumerate(art["id"]))
        image = paint(random.Random(seed))
        if max(image.size) > 4096:  # the one to zoom into: kept whole
            save(image, Path(art["image"]).name, quality=75)
        else:
            # painted large, stored at 2000 px: sharper, and the repository stays lean
            image.thumbnail((2000, 2000), Image.Resampling.LANCZOS)
            save(image, Path(art["image"]).name, quality=76)
    if not only:
        save(floor_plan(), "plan.png")


VOICES = {"fr": "fr", "en": "en-gb", "de": "de", "es": "es"}


def make_audio() -> None:
    """Read the text of every artwork that names audio files, with espeak-ng; Ogg Vorbis via sox."""
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    if not espeak or not sox:
        raise SystemExit("audio needs espeak-ng and sox (apt-get install espeak-ng sox)")
    for path in sorted((DEMO / "artworks").glob("*.json")):
        art = json.loads(path.read_text(encoding="utf-8"))
        for lang, rel in art.get("audio", {}).items():
            spoken = f"{art['title'][lang]}. {art['artist']}, {art['date']}. {art['text'][lang]}"
            with tempfile.TemporaryDirectory() as tmp:
                wav = Path(tmp) / "speech.wav"
                subprocess.run([espeak, "-v", VOICES[lang], "-s", "150", "-w", str(wav), spoken],
                               check=True)
                out = DEMO / rel
                # mono, 16 kHz, lowest Vorbis quality: speech stays clear at ~2 kB per second
                subprocess.run([sox, str(wav), "-C", "-1", "-c", "1", str(out),
                                "gain", "-3", "rate", "16k"], check=True)
            print(f"{rel}: {out.stat().st_size} bytes")


def write_schema() -> None:
    """Write the bundle's JSON Schema, generated from the structs the hub decodes with."""
    from hub.content.bundle import bundle_json_schema

    SCHEMA.parent.mkdir(exist_ok=True)
    SCHEMA.write_text(json.dumps(bundle_json_schema(), indent=2, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    print(f"{SCHEMA.name}: {SCHEMA.stat().st_size} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", action="store_true", help="only the images")
    parser.add_argument("--audio", action="store_true", help="only the audio")
    parser.add_argument("--only", help="only this artwork's image")
    parser.add_argument("--schema", action="store_true", help="only the bundle's JSON Schema")
    args = parser.parse_args()
    if args.schema:
        write_schema()
        return
    if not args.audio:
        make_images(args.only)
    if not args.images and not args.only:
        make_audio()


if __name__ == "__main__":
    main()
