"""The real phone app in a portrait window under Xvfb, fed a BLE trace, against a real hub."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from hub.api.public_events import PUBLIC_DEVICE_ID
from hub.client.manifest import PublicPack, public_pack_decoder
from hub.keys import STORE
from phone import pack
from tests.phone.conftest import drive_app, hub_url
from tests.phone.trace import write_walk_trace

pytestmark = pytest.mark.display

# Three neighbouring artworks of the demo's first room, in wall order.
WALK = ["t01", "t02", "t03"]
# What an opt-in usage event may hold: an action on a screen, no beacon, signal or place.
ALLOWED_FIELDS = {"id", "type", "ts", "session", "action", "artwork", "language", "screen"}


async def fetch_pack(server: TestServer) -> PublicPack:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{hub_url(server)}/api/v1/public/pack") as response,
    ):
        assert response.status == 200
        return public_pack_decoder.decode(await response.read())


def stored_events(server: TestServer) -> list[tuple[str, str, str | None, dict[str, object]]]:
    """(id, device_id, zone, body) of every event the hub stored."""
    with server.app[STORE].read() as conn:
        rows = conn.execute("SELECT id, device_id, zone, body FROM events ORDER BY seq")
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]


async def walk_trace(server: TestServer, path: Path) -> tuple[PublicPack, list[str | None], int]:
    """A walk past the three artworks; the pack, the true card sequence and its changes."""
    public = await fetch_pack(server)
    beacons = {b.id: b for b in public.beacons}
    walk = write_walk_trace(path, [beacons[b] for b in WALK], strangers=4)
    return public, [artwork or "" for _, artwork in walk.truth], walk.true_changes()


async def test_near_card_follows_a_walk_past_three_artworks_without_flicker(
    demo_hub: TestServer, xvfb: str, tmp_path: Path
) -> None:
    public, truth, true_changes = await walk_trace(demo_hub, tmp_path / "walk.jsonl")
    result = await drive_app(
        xvfb,
        tmp_path,
        "--state",
        str(tmp_path / "phone"),
        "--hub",
        hub_url(demo_hub),
        "--trace",
        str(tmp_path / "walk.jsonl"),
    )
    # The app fetched the pack from the hub before the walk.
    assert result["pack_version"] == public.version
    assert result["first_screen"] == "welcome"
    assert result["after_start"] == "near"  # tapped "Start the visit"
    # Tapping the card opened the artwork it showed; "Back" returned to the card.
    near_id, screen, art_id, back_to = result["tapped_card"]
    assert (screen, art_id, back_to) == ("artwork", near_id, "near")
    assert near_id == "champ-de-lumiere"
    card = result["card"]
    shown = [artwork for _, artwork, _ in card]
    assert shown == truth == ["", "aube-sur-la-lagune", "champ-de-lumiere", "halo", ""]
    switches = len(card) - 1
    assert switches == true_changes  # one switch per true change: no flicker
    titles = {a.id: a.title[public.exhibition.default_language] for a in public.artworks}
    for _, artwork, title_on_screen in card:
        assert title_on_screen == (titles[artwork] if artwork else "")
    # The other devices around were heard and dropped; only museum beacons were ever tracked.
    assert result["ignored"] > 50
    assert set(result["tracked"]) <= set(WALK)
    assert result["usage_noted"] == result["usage_events"] == 0  # nothing recorded without opt-in
    assert result["usage_sent"] == 0 and stored_events(demo_hub) == []  # nor sent


async def test_app_starts_from_its_cache_with_no_network(
    demo_hub: TestServer, xvfb: str, tmp_path: Path
) -> None:
    state = tmp_path / "phone"
    first = await pack.refresh(pack.PackCache(state), hub_url(demo_hub))
    assert first.changed and first.media_missing == 0
    _, truth, _ = await walk_trace(demo_hub, tmp_path / "walk.jsonl")
    dead = hub_url(demo_hub)
    await demo_hub.close()  # the hub is gone: the galleries have no network
    result = await drive_app(
        xvfb,
        tmp_path,
        "--state",
        str(state),
        "--hub",
        dead,
        "--trace",
        str(tmp_path / "walk.jsonl"),
        "--tour",
    )
    assert result["pack_version"] == first.pack.version
    assert result["status"]  # says it is offline
    assert result["browse_count"] == len(first.pack.artworks)
    assert [artwork for _, artwork, _ in result["card"]] == truth
    # The artwork page shows the phone-sized image and audio from the cache.
    assert Path(result["artwork_image"]).parent == state / "media"
    assert Path(result["artwork_image"]).is_file()
    assert Path(result["artwork_audio"]).is_file()
    assert result["playing"] and result["paused"]  # tapped Listen, then Pause
    assert result["zoomed"]  # the kiosk's zoomable image, reused
    assert result["search_lumiere"]
    assert result["info_hours"]


async def test_visitor_downloads_the_guide_from_the_entrance_qr_link(
    demo_hub: TestServer, xvfb: str, tmp_path: Path
) -> None:
    public = await fetch_pack(demo_hub)
    entrance = f"{hub_url(demo_hub)}/guide/?lang=en"  # what the entrance QR code holds
    result = await drive_app(
        xvfb, tmp_path, "--state", str(tmp_path / "phone"), "--connect", entrance
    )
    assert result["pack_version"] is None  # nothing cached, no hub found by zeroconf
    assert result["connected_version"] == public.version
    assert result["prefs_hub_url"] == hub_url(demo_hub)
    assert result["browse_count"] == len(public.artworks)  # counted after the download


async def test_opted_in_usage_reaches_the_hub_once_with_nothing_but_actions(
    demo_hub: TestServer, xvfb: str, tmp_path: Path
) -> None:
    await walk_trace(demo_hub, tmp_path / "walk.jsonl")
    result = await drive_app(
        xvfb,
        tmp_path,
        "--state",
        str(tmp_path / "phone"),
        "--hub",
        hub_url(demo_hub),
        "--trace",
        str(tmp_path / "walk.jsonl"),
        "--tour",
        "--share-usage",
    )
    assert result["share_usage"] is True  # ticked on the first screen
    stored = stored_events(demo_hub)
    # every noted action arrived, each once (the tour: artwork, audio, zoom, info, settings)
    assert result["usage_noted"] >= 5
    assert result["usage_sent"] == result["usage_noted"] == len(stored)
    assert len({event_id for event_id, _, _, _ in stored}) == len(stored)
    actions = {body["action"] for _, _, _, body in stored}
    assert {"view_artwork", "audio_play", "language", "accessibility"} <= actions
    for _, device, zone, body in stored:
        assert (device, zone) == (PUBLIC_DEVICE_ID, None)
        assert body["type"] == "interaction" and body["session"] == result["usage_session"]
        assert set(body) <= ALLOWED_FIELDS
