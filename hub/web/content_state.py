"""What the page shows of the published content (from ``app[CONTENT]``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.keys import CONTENT


def content_summary(app: web.Application) -> dict[str, Any]:
    """Version, counts, fixed beacons and the last reload error of the content library."""
    library = app.get(CONTENT)
    current = library.current if library is not None else None
    error = library.last_error if library is not None else None
    if current is None:
        return {"version": "", "version_short": "none", "artworks": 0, "fixed_beacons": [],
                "error": str(error) if error else None}
    manifest = current.manifest
    return {
        "version": manifest.version,
        "version_short": manifest.version[:10],
        "artworks": len(manifest.artworks),
        "fixed_beacons": [b.id for b in manifest.beacons if b.kind == "fixed"],
        "error": str(error) if error else None,
    }


def zone_choices(app: web.Application) -> list[tuple[str, str]]:
    """(zone id, label) of the published zones, for zone pickers."""
    library = app.get(CONTENT)
    current = library.current if library is not None else None
    if current is None:
        return []
    lang = current.manifest.exhibition.default_language
    return [
        (z.id, f"{z.id} — {z.name.get(lang) or next(iter(z.name.values()), z.id)}")
        for z in current.manifest.zones
    ]
