"""Test bundles: the demo exhibition's texts with small images, quick to publish."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from cimaise.settings import demo_content_dir

DEMO = demo_content_dir()


def make_small_bundle(dest: Path) -> Path:
    """A copy of the demo bundle (same JSON, same audio) whose images are small and distinct."""
    shutil.copytree(DEMO, dest, ignore=shutil.ignore_patterns("*.jpg", "*.png"))
    for i, path in enumerate(sorted((DEMO / "media").glob("*.[jp][pn]g"))):
        image = Image.new("RGB", (640 + i * 8, 480), (20 * i % 256, 90, 160))
        ImageDraw.Draw(image).ellipse([100, 100, 300 + i * 10, 300], fill=(250, 200, 40))
        image.save(dest / "media" / path.name, "PNG" if path.suffix == ".png" else "JPEG")
    return dest


def read_json(bundle: Path, rel: str) -> Any:
    return json.loads((bundle / rel).read_text(encoding="utf-8"))


def write_json(bundle: Path, rel: str, data: Any) -> None:
    (bundle / rel).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def edit_json(bundle: Path, rel: str, **changes: Any) -> None:
    """Set top-level fields of one bundle file."""
    data = read_json(bundle, rel)
    data.update(changes)
    write_json(bundle, rel, data)
