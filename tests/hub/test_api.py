"""The device API against a real hub on loopback, through the real HubClient."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp import web

from cimaise.errors import NotPairedError, PairingError
from cimaise.settings import Settings
from hub.app import create_app
from hub.client.api import HubClient, HubRequestError
from hub.client.events import encode_event
from hub.client.wire import BeaconHealth, HeartbeatRequest, OutboxStats
from hub.keys import DEVICES, STORE
from hub.store import Store
from tests.client.factories import interaction, occupancy, visit
from tests.hub.conftest import ServerFactory, enroll


def stored_ids(app: web.Application) -> list[str]:
    with app[STORE].read() as conn:
        return [r[0] for r in conn.execute("SELECT id FROM events ORDER BY seq")]


async def test_pairing_code_enrolls_once_and_is_refused_the_second_time(
    hub_app: web.Application, hub_url: str
) -> None:
    code = await hub_app[DEVICES].create_pairing_code("kiosk", "entrance", "hall")
    async with HubClient(hub_url) as first:
        enrollment = await first.enroll(code.code.lower().replace("-", ""), "kiosk", "whatever")
        assert enrollment.zone == "hall" and len(enrollment.token) >= 40
    async with HubClient(hub_url) as second:
        with pytest.raises(PairingError, match="already used"):
            await second.enroll(code.code, "kiosk", "entrance")
    devices = hub_app[DEVICES].list_devices()
    assert [(d.name, d.zone) for d in devices] == [("entrance", "hall")]
    with hub_app[STORE].read() as conn:  # only the token's hash is kept
        assert conn.execute("SELECT token_hash FROM devices").fetchone()[0] != enrollment.token


async def test_unknown_code_and_wrong_kind_are_refused(
    hub_app: web.Application, hub_url: str
) -> None:
    code = await hub_app[DEVICES].create_pairing_code("beacon", "agent", None)
    async with HubClient(hub_url) as client:
        with pytest.raises(PairingError, match="not known"):
            await client.enroll("ABCD-EFGH", "kiosk", "x")
        with pytest.raises(PairingError, match="for a beacon"):
            await client.enroll(code.code, "kiosk", "x")
        assert (await client.enroll(code.code, "beacon", "x")).device_id


async def test_repeated_batch_is_stored_once(hub_app: web.Application, hub_url: str) -> None:
    events = [interaction(), visit(), occupancy()]
    async with await enroll(hub_app, hub_url) as client:
        first = await client.send_events(events)
        again = await client.send_events(events)
    assert (first.accepted, first.duplicates, first.rejected) == (3, 0, [])
    assert (again.accepted, again.duplicates) == (0, 3)
    assert stored_ids(hub_app) == [e.id for e in events]


async def test_bad_events_are_named_and_good_ones_kept(
    hub_app: web.Application, hub_url: str
) -> None:
    good = [interaction(), visit()]
    bad_zone = json.loads(encode_event(visit()))
    bad_zone["zone"] = "no spaces allowed"
    bodies = [
        encode_event(good[0]),
        b'{"type": "teleport", "id": "x"}',
        json.dumps(bad_zone).encode(),
        b'{"type": "interaction"}',
        encode_event(good[1]),
    ]
    async with await enroll(hub_app, hub_url) as client:
        reply = await client.send_raw(bodies)
    assert reply.accepted == 2
    assert [r.index for r in reply.rejected] == [1, 2, 3]
    assert "teleport" in reply.rejected[0].error
    assert "zone" in reply.rejected[1].error
    assert "id" in reply.rejected[2].error or "required" in reply.rejected[2].error
    assert stored_ids(hub_app) == [e.id for e in good]


async def test_visit_ending_before_it_starts_is_named_and_the_rest_stored_as_sent(
    hub_app: web.Application, hub_url: str
) -> None:
    good = [visit(), interaction(), occupancy()]
    backwards = json.loads(encode_event(visit()))
    backwards["start"], backwards["end"] = backwards["end"], backwards["start"]
    spaced = json.dumps(json.loads(encode_event(good[1])), indent=2).encode()
    async with await enroll(hub_app, hub_url) as client:
        reply = await client.send_raw(
            [encode_event(good[0]), json.dumps(backwards).encode(), spaced, encode_event(good[2])]
        )
        clean = await client.send_events([visit(), visit()])
    assert (reply.accepted, [r.index for r in reply.rejected]) == (3, [1])
    assert "before" in reply.rejected[0].error
    assert clean.accepted == 2 and not clean.rejected
    with hub_app[STORE].read() as conn:
        bodies = dict(conn.execute("SELECT id, body FROM events"))
    # every body is stored in the canonical encoding, whatever the spacing sent
    assert all(bodies[e.id] == encode_event(e).decode() for e in good)


async def test_hub_stamps_device_site_and_kiosk_zone(
    hub_app: web.Application, hub_url: str
) -> None:
    event = interaction()
    async with await enroll(hub_app, hub_url, zone="room-7") as client:
        await client.send_events([event])
    device = hub_app[DEVICES].list_devices()[0]
    with hub_app[STORE].read() as conn:
        row = conn.execute("SELECT device_id, site, zone, type, visitor FROM events").fetchone()
    assert row == (device.id, "test", "room-7", "interaction", None)


async def test_revoked_device_gets_401_saying_to_pair_again(
    hub_app: web.Application, hub_url: str
) -> None:
    async with await enroll(hub_app, hub_url) as client:
        await client.send_events([interaction()])
        device = hub_app[DEVICES].list_devices()[0]
        await hub_app[DEVICES].revoke(device.id)
        with pytest.raises(NotPairedError, match="pair the device again"):
            await client.send_events([interaction()])
        with pytest.raises(NotPairedError):
            await client.heartbeat()
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{hub_url}/api/v1/events", json={"events": []}) as resp,
    ):
        assert resp.status == 401
        assert resp.content_type == "application/problem+json"
        problem = await resp.json()
    assert problem["code"] == "pairing_required" and problem["status"] == 401


async def test_malformed_envelope_is_a_400_problem(hub_app: web.Application, hub_url: str) -> None:
    async with await enroll(hub_app, hub_url) as client:
        for body in (b"not json", b'{"events": 3}', b"[]"):
            async with client.session.post(
                f"{hub_url}/api/v1/events",
                data=body,
                headers={"Authorization": f"Bearer {client.token}"},
            ) as resp:
                problem = await resp.json(content_type=None)
                assert resp.status == 400, body
                assert problem["code"] == "invalid_body"
                assert "Traceback" not in json.dumps(problem)


async def test_oversized_body_gets_413(
    aiohttp_server: ServerFactory, hub_settings: Settings
) -> None:
    settings = Settings(**{**_fields(hub_settings), "max_body_bytes": 4096})
    app = create_app(settings)
    server = await aiohttp_server(app, host="127.0.0.1", port=settings.port)
    url = str(server.make_url("")).rstrip("/")
    async with await enroll(app, url) as client:
        small = await client.send_events([interaction()])
        assert small.accepted == 1
        with pytest.raises(HubRequestError) as info:
            await client.send_events([interaction() for _ in range(100)])
    assert info.value.status == 413 and info.value.code == "body_too_large"
    assert len(stored_ids(app)) == 1


async def test_full_store_answers_503_with_a_reason_and_stores_nothing(
    aiohttp_server: ServerFactory, hub_settings: Settings
) -> None:
    store = Store(hub_settings.data / "hub.db", max_bytes=256 * 1024)
    app = create_app(hub_settings, store=store)
    server = await aiohttp_server(app, host="127.0.0.1", port=hub_settings.port)
    url = str(server.make_url("")).rstrip("/")
    async with await enroll(app, url) as client:
        await client.send_events([interaction()])
        with pytest.raises(HubRequestError) as info:
            for _ in range(50):
                await client.send_events([visit() for _ in range(400)])
        assert info.value.status == 503
        assert info.value.code == "store_unavailable"
        assert "full" in info.value.detail
        count = len(stored_ids(app))
        async with client.session.get(f"{url}/healthz") as resp:
            health = await resp.json()
        assert health["status"] == "unavailable" and "full" in health["store"]["error"]
        async with client.session.get(f"{url}/metrics") as resp:
            assert "cimaise_store_available 0.0" in await resp.text()
    assert count % 400 == 1, "a refused batch must leave nothing half-stored"


async def test_heartbeat_gives_beacon_agents_the_daily_key_and_keeps_beacon_health(
    hub_app: web.Application, hub_url: str
) -> None:
    beat = HeartbeatRequest(
        status={"scanning": True},
        version="1.2.3",
        outbox=OutboxStats(pending=4, dropped=0),
        beacons=[BeaconHealth(beacon_id="b-12", rssi=-70.0, battery_mv=2900)],
    )
    async with await enroll(hub_app, hub_url, kind="beacon", name="agent") as agent:
        first = await agent.heartbeat(beat)
        second = await agent.heartbeat(beat)
    async with await enroll(hub_app, hub_url, kind="kiosk", name="kiosk") as kiosk:
        kiosk_reply = await kiosk.heartbeat()
    assert first.pseudonym_key and len(bytes.fromhex(first.pseudonym_key)) == 32
    assert (first.pseudonym_key, first.key_id) == (second.pseudonym_key, second.key_id)
    assert first.key_expires and first.key_expires.endswith("T00:00:00.000000Z")
    assert kiosk_reply.pseudonym_key is None and kiosk_reply.zone == "room-1"
    agent_device = next(d for d in hub_app[DEVICES].list_devices() if d.kind == "beacon")
    assert agent_device.version == "1.2.3" and agent_device.last_seen
    assert agent_device.status and agent_device.status["outbox"]["pending"] == 4
    with hub_app[STORE].read() as conn:
        health = conn.execute(
            "SELECT beacon_id, reported_by, battery_mv FROM beacon_health"
        ).fetchall()
    assert health == [("b-12", agent_device.id, 2900)]
    db = (hub_app[STORE].path).read_bytes()
    assert bytes.fromhex(first.pseudonym_key) not in db  # memory only


async def test_screenshot_request_reaches_the_kiosk_once_and_png_is_kept(
    hub_app: web.Application, hub_url: str, hub_settings: Settings
) -> None:
    async with await enroll(hub_app, hub_url) as kiosk:
        device = hub_app[DEVICES].list_devices()[0]
        assert not (await kiosk.heartbeat()).screenshot_requested
        hub_app[DEVICES].request_screenshot(device.id)
        assert (await kiosk.heartbeat()).screenshot_requested
        assert not (await kiosk.heartbeat()).screenshot_requested
        # larger than the API's body limit (4 MiB), as a full-HD screen can be
        png = b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024)
        await kiosk.upload_screenshot(png)
        with pytest.raises(HubRequestError) as info:
            await kiosk.upload_screenshot(b"GIF89a")
    assert info.value.status == 415
    assert (hub_settings.data / "screenshots" / f"{device.id}.png").read_bytes() == png


async def test_unknown_api_path_is_a_problem_document(hub_url: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{hub_url}/api/v1/nothing-here") as resp,
    ):
        assert resp.status == 404
        assert (await resp.json(content_type=None))["code"] == "not_found"


async def test_pairing_attempts_are_rate_limited(hub_url: str) -> None:
    statuses = []
    async with aiohttp.ClientSession() as session:
        for _ in range(12):
            async with session.post(
                f"{hub_url}/api/v1/devices/enroll",
                json={"code": "ZZZZ-ZZZZ", "kind": "kiosk", "name": "x"},
            ) as resp:
                statuses.append(resp.status)
                if resp.status == 429:
                    assert int(resp.headers["Retry-After"]) >= 1
    assert statuses[:10] == [403] * 10 and statuses[10:] == [429, 429]


async def test_healthz_and_metrics_report_store_and_ingest(
    hub_app: web.Application, hub_url: str
) -> None:
    async with await enroll(hub_app, hub_url) as client:
        await client.send_events([interaction() for _ in range(5)])
        await client.send_events([interaction()])
        await client.heartbeat()
        async with client.session.get(f"{hub_url}/healthz") as resp:
            health = await resp.json()
        async with client.session.get(f"{hub_url}/metrics") as resp:
            text = await resp.text()
    assert health["store"]["writable"] and health["status"] == "degraded"  # no content here
    assert health["content"]["error"]
    assert 'cimaise_ingest_events_total{result="accepted"} 6.0' in text
    assert "cimaise_ingest_batch_events_count 2.0" in text
    assert "cimaise_store_commit_seconds_bucket" in text
    assert "cimaise_devices_online 1.0" in text


def _fields(settings: Settings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}


async def test_deeply_nested_body_is_a_400_not_a_crash(
    hub_app: web.Application, hub_url: str
) -> None:
    nested = b'{"events":[' + b"[" * 50_000 + b"]" * 50_000 + b"]}"
    async with await enroll(hub_app, hub_url) as client:
        for path in ("/api/v1/events", "/api/v1/devices/heartbeat"):
            async with client.session.post(
                f"{hub_url}{path}",
                data=nested,
                headers={"Authorization": f"Bearer {client.token}"},
            ) as resp:
                assert resp.status == 400, path


async def test_heartbeat_with_out_of_range_numbers_is_a_400(
    hub_app: web.Application, hub_url: str
) -> None:
    async with await enroll(hub_app, hub_url, kind="beacon", name="agent") as agent:
        for health in ({"battery_mv": 10**30}, {"adv_count": 2**64}, {"rssi": 1e308}):
            async with agent.session.post(
                f"{hub_url}/api/v1/devices/heartbeat",
                json={"beacons": [{"beacon_id": "b-1", **health}]},
                headers={"Authorization": f"Bearer {agent.token}"},
            ) as resp:
                assert resp.status == 400, health
                assert (await resp.json(content_type=None))["code"] == "invalid_body"
