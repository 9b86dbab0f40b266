"""Zones and beacons: thresholds, agents placed in each zone, fixed beacons and their links."""

from __future__ import annotations

from aiohttp import web

from hub.keys import CONTENT
from hub.web import queries
from hub.web.auth import SESSION_KEY, page
from hub.web.render import render
from hub.web.state import WEB

routes = web.RouteTableDef()


@routes.get("/admin/zones")
@page
async def zones_page(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB]
    library = request.app.get(CONTENT)
    current = library.current if library is not None else None
    with state.store.read() as conn:
        devices = [d for d in queries.devices(conn) if not d.revoked]
        health = {b.beacon_id: b for b in queries.beacon_health(conn)}
    zones, beacons, titles, lang = [], [], {}, "en"
    if current is not None:
        manifest = current.manifest
        lang = manifest.exhibition.default_language
        titles = {a.id: a.title.get(lang) or next(iter(a.title.values()), a.id)
                  for a in manifest.artworks}
        for zone in manifest.zones:
            zones.append({
                "z": zone,
                "name": zone.name.get(lang) or next(iter(zone.name.values()), zone.id),
                "agents": [d for d in devices if d.kind == "beacon" and d.zone == zone.id],
                "kiosks": [d for d in devices if d.kind == "kiosk" and d.zone == zone.id],
                "artworks": [a.id for a in manifest.artworks if a.zone == zone.id],
            })
        beacons = [{"b": b, "health": health.get(b.id)} for b in manifest.beacons]
    base = f"{request.scheme}://{request.host}"
    return render(
        state.templates, "zones.html", session=request[SESSION_KEY], active="zones",
        title="Zones & beacons", zones=zones, beacons=beacons, titles=titles, base=base,
        unplaced=[d for d in devices if d.kind == "beacon" and not d.zone],
    )
