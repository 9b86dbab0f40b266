"""Read a bundle folder from disk into decoded source records (every file's problems at once)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from cimaise.errors import ContentError
from hub.content.bundle import (
    ARTWORKS_DIR,
    BEACONS_FILE,
    EXHIBITION_FILE,
    ZONES_FILE,
    SourceArtwork,
    SourceBeacons,
    SourceBundle,
    SourceExhibition,
    SourceZones,
    decode_file,
)
from hub.content.checks import BundleProblems

MAX_JSON_BYTES = 5 * 1024 * 1024
MAX_ARTWORKS = 5000

T = TypeVar("T", SourceExhibition, SourceZones, SourceBeacons, SourceArtwork)


def _read(bundle_dir: Path, rel: str, kind: type[T], problems: list[ContentError]) -> T | None:
    path = bundle_dir / rel
    try:
        if not path.is_file():
            problems.append(ContentError(rel, "$", "file not found"))
            return None
        if path.stat().st_size > MAX_JSON_BYTES:
            problems.append(ContentError(rel, "$", f"file larger than {MAX_JSON_BYTES} bytes"))
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.append(ContentError(rel, "$", f"cannot be read ({exc.strerror or exc})"))
        return None
    try:
        return decode_file(rel, data, kind)
    except ContentError as exc:
        problems.append(exc)
        return None


def read_bundle(bundle_dir: Path) -> SourceBundle:
    """Decode every JSON file of the bundle in ``bundle_dir``; raises BundleProblems naming each."""
    if not bundle_dir.is_dir():
        raise ContentError(str(bundle_dir), "$", "content bundle folder not found")
    problems: list[ContentError] = []
    exhibition = _read(bundle_dir, EXHIBITION_FILE, SourceExhibition, problems)
    zones = _read(bundle_dir, ZONES_FILE, SourceZones, problems)
    beacons: SourceBeacons | None = SourceBeacons()
    if (bundle_dir / BEACONS_FILE).exists():
        beacons = _read(bundle_dir, BEACONS_FILE, SourceBeacons, problems)
    artworks: dict[str, SourceArtwork] = {}
    art_dir = bundle_dir / ARTWORKS_DIR
    files = sorted(art_dir.glob("*.json")) if art_dir.is_dir() else []
    if len(files) > MAX_ARTWORKS:
        problems.append(ContentError(ARTWORKS_DIR, "$", f"more than {MAX_ARTWORKS} artworks"))
        files = files[:MAX_ARTWORKS]
    for path in files:
        rel = f"{ARTWORKS_DIR}/{path.name}"
        art = _read(bundle_dir, rel, SourceArtwork, problems)
        if art is not None:
            artworks[rel] = art
    if problems or exhibition is None or zones is None or beacons is None:
        raise BundleProblems(problems)
    return SourceBundle(exhibition=exhibition, zones=zones, beacons=beacons, artworks=artworks)
