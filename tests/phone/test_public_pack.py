"""The public pack that phones read holds published content only, nothing about people."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from cimaise.settings import demo_content_dir
from hub.client.api import HubClient
from hub.client.events import Interaction, Visit, new_event_id, utc_now
from hub.client.manifest import public_pack_decoder
from hub.keys import DEVICES
from phone import pack
from tests.phone.conftest import hub_url, start_hub

HIDDEN = "lichen"  # made unpublished for the test
AGENT_NAME = "agent-room-b-7f3e"
VISITOR = "9f1c2ab3d4e5f60718293a4b5c6d7e8f"
SESSION = "5e55105e55105e55105e55105e551050"


def bundle_with_a_hidden_artwork(tmp: Path) -> Path:
    bundle = tmp / "bundle"
    shutil.copytree(demo_content_dir(), bundle)
    path = bundle / "artworks" / f"{HIDDEN}.json"
    data = json.loads(path.read_text())
    data["published"] = False
    path.write_text(json.dumps(data, ensure_ascii=False))
    return bundle


async def test_public_pack_holds_no_unpublished_content_and_no_device_or_visitor_data(
    tmp_path: Path, content_cache: Path
) -> None:
    server: TestServer = await start_hub(
        tmp_path / "hub", bundle_with_a_hidden_artwork(tmp_path), content_cache
    )
    try:
        url = hub_url(server)
        # A paired beacon agent and a kiosk send visits and interactions.
        code = await server.app[DEVICES].create_pairing_code("beacon", AGENT_NAME, "zone-b")
        async with HubClient(url) as agent:
            enrolled = await agent.enroll(code.code, "beacon", AGENT_NAME)
            now = utc_now()
            reply = await agent.send_events(
                [
                    Visit(
                        id=new_event_id(),
                        ts=now,
                        zone="zone-b",
                        visitor=VISITOR,
                        start=now - timedelta(seconds=60),
                        end=now,
                        dwell_s=60.0,
                        samples=40,
                    ),
                    Interaction(
                        id=new_event_id(),
                        ts=now,
                        session=SESSION,
                        action="view_artwork",
                        artwork=HIDDEN,
                    ),
                ]
            )
            assert reply.accepted == 2
            manifest = await agent.manifest()
            assert manifest is not None
        hidden = next(a for a in manifest.manifest.artworks if a.id == HIDDEN)
        hidden_beacons = [b.id for b in manifest.manifest.beacons if b.artwork == HIDDEN]

        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/api/v1/public/pack") as response:
                assert response.status == 200
                raw = await response.read()
                etag = response.headers["ETag"]
            async with http.get(
                f"{url}/api/v1/public/pack", headers={"If-None-Match": etag}
            ) as response:
                assert response.status == 304
            public = public_pack_decoder.decode(raw)
            doc = json.loads(raw)
            assert set(doc) == {"version", "exhibition", "zones", "artworks", "beacons", "info"}
            # Published artworks only, and nothing of the hidden one anywhere.
            published = [a.id for a in manifest.manifest.artworks if a.published]
            assert [a.id for a in public.artworks] == published
            assert HIDDEN not in published
            text = raw.decode()
            for value in (*hidden.title.values(), *hidden.text.values(), hidden.image.sha256):
                assert value not in text
            assert not set(hidden_beacons) & {b.id for b in public.beacons}
            # Nothing about devices or visitors: names, ids, tokens, pseudonyms, sessions.
            for secret in (AGENT_NAME, enrolled.device_id, enrolled.token, VISITOR, SESSION):
                assert secret not in text
            # Nothing about detection either: zones carry names, not thresholds.
            for field in ("enter_rssi", "exit_rssi", "min_enter_s", "token", "device"):
                assert field not in text
            for artwork in public.artworks:
                assert set(artwork.image.variants) <= {"thumb", "phone"}
            # The media it names are public: fetched with no token. The hidden ones are not.
            for ref in pack.wanted_media(public):
                async with http.get(f"{url}/api/v1/media/{ref.sha256}") as response:
                    assert response.status == 200, ref
            async with http.get(f"{url}/api/v1/media/{hidden.image.sha256}") as response:
                assert response.status in (401, 403, 404)
        # What a phone caches is that pack and those media, nothing else.
        state = tmp_path / "phone"
        refreshed = await pack.refresh(pack.PackCache(state), url)
        assert refreshed.media_missing == 0
        cached = {p.name.split(".")[0] for p in (state / "media").iterdir()}
        assert cached == {ref.sha256 for ref in pack.wanted_media(public)}
        assert HIDDEN not in (state / "pack.json").read_text()
    finally:
        await server.close()
