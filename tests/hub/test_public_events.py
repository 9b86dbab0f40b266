"""`POST /api/v1/public/events` on a real hub on loopback: what phones send with no token."""

from __future__ import annotations

import json

import aiohttp
from aiohttp import web

from hub.api.public_events import MAX_BODY_BYTES, ONLY_INTERACTIONS, PUBLIC_DEVICE_ID
from hub.client.events import encode_event
from hub.keys import PUBLIC_LIMIT, STORE
from tests.client.factories import interaction, occupancy, visit

PATH = "/api/v1/public/events"


def batch(*bodies: bytes) -> bytes:
    return b'{"events":[' + b",".join(bodies) + b"]}"


def stored(app: web.Application) -> list[tuple[str, str, str, str, str | None]]:
    with app[STORE].read() as conn:
        return [
            tuple(r)
            for r in conn.execute("SELECT id, type, device_id, site, zone FROM events ORDER BY seq")
        ]


async def post(url: str, body: bytes) -> tuple[int, dict[str, str], dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url + PATH, data=body, headers={"Content-Type": "application/json"}) as resp,
    ):
        return resp.status, dict(resp.headers), await resp.json(content_type=None)


async def test_interactions_are_stored_once_as_the_public_guide_with_no_zone(
    hub_app: web.Application, hub_url: str
) -> None:
    events = [interaction(), interaction("zoom")]
    status, _, first = await post(hub_url, batch(*map(encode_event, events)))
    assert status == 200
    assert (first["accepted"], first["duplicates"], first["rejected"]) == (2, 0, [])
    status, _, again = await post(hub_url, batch(*map(encode_event, events)))
    assert (status, again["accepted"], again["duplicates"]) == (200, 0, 2)
    assert stored(hub_app) == [
        (e.id, "interaction", PUBLIC_DEVICE_ID, "test", None) for e in events
    ]


async def test_visit_and_occupancy_events_are_refused_one_by_one_with_the_reason(
    hub_app: web.Application, hub_url: str
) -> None:
    good = interaction()
    body = batch(
        encode_event(visit()),
        encode_event(good),
        encode_event(occupancy()),
        b'{"type": "interaction", "id": "x"}',
    )
    status, _, reply = await post(hub_url, body)
    assert status == 200 and reply["accepted"] == 1
    rejected = reply["rejected"]
    assert isinstance(rejected, list)
    assert [r["index"] for r in rejected] == [0, 2, 3]
    assert rejected[0]["error"] == rejected[1]["error"] == ONLY_INTERACTIONS
    assert stored(hub_app) == [(good.id, "interaction", PUBLIC_DEVICE_ID, "test", None)]


async def test_a_body_that_is_not_a_batch_or_too_large_is_refused(
    hub_app: web.Application, hub_url: str
) -> None:
    status, _, problem = await post(hub_url, b'{"nope": 1}')
    assert (status, problem["code"]) == (400, "invalid_body")
    big = json.loads(encode_event(interaction()))
    big["screen"] = "x"  # valid names, many of them, past the limit
    body = batch(*[json.dumps(big).encode()] * (MAX_BODY_BYTES // 150 + 10))
    assert len(body) > MAX_BODY_BYTES
    status, _, problem = await post(hub_url, body)
    assert (status, problem["code"]) == (413, "body_too_large")
    assert stored(hub_app) == []


async def test_one_address_sending_too_often_gets_429_with_retry_after(
    hub_app: web.Application, hub_url: str
) -> None:
    burst = int(hub_app[PUBLIC_LIMIT].capacity)
    assert burst == 20  # a phone's flushes for a minute or so, then one every 2 s
    statuses = []
    for _ in range(burst + 1):
        status, headers, reply = await post(hub_url, batch(encode_event(interaction())))
        statuses.append(status)
    assert statuses[:burst] == [200] * burst
    assert statuses[-1] == 429
    assert reply["code"] == "too_many_requests"
    assert int(headers["Retry-After"]) >= 1
    assert len(stored(hub_app)) == burst
