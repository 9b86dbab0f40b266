"""Devices find a real hub by zeroconf on loopback and stay linked to it (DeviceLink)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from cimaise.errors import HubUnreachableError
from cimaise.settings import Settings
from hub.app import create_app
from hub.client.credentials import load_credentials
from hub.client.device import DeviceLink, LinkState
from hub.client.discovery import discover_hub
from hub.client.outbox import Outbox
from hub.client.wire import HeartbeatReply
from hub.keys import DEVICES, HUB_ID, SETTINGS, STORE
from tests.client.factories import interaction, visit
from tests.hub.conftest import ServerFactory

LOOPBACK = ["127.0.0.1"]


async def wait_for(predicate: object, seconds: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def announced_hub(aiohttp_server: ServerFactory, hub_settings: Settings) -> TestServer:
    # a site of its own: other hubs may be announced on this machine's loopback
    settings = dataclasses.replace(hub_settings, zeroconf=True, site=f"t{uuid.uuid4().hex[:12]}")
    return await aiohttp_server(create_app(settings), host="127.0.0.1", port=settings.port)


async def test_device_discovers_the_hub_of_its_site(announced_hub: TestServer) -> None:
    site = announced_hub.app[SETTINGS].site
    endpoint = await discover_hub(site, wait_s=10.0, interfaces=LOOPBACK)
    assert endpoint.url == str(announced_hub.make_url("")).rstrip("/")
    assert endpoint.hub_id == announced_hub.app[HUB_ID]
    assert (endpoint.site, endpoint.proto) == (site, "1")


async def test_discovery_ignores_hubs_of_other_sites(announced_hub: TestServer) -> None:
    site = announced_hub.app[SETTINGS].site
    with pytest.raises(
        HubUnreachableError, match=f"of site 'elsewhere'.*found hubs of sites:.*{site}"
    ):
        await discover_hub("elsewhere", wait_s=2.0, interfaces=LOOPBACK)


async def test_link_discovers_enrolls_sends_heartbeats_and_asks_to_pair_after_revocation(
    announced_hub: TestServer, tmp_path: Path
) -> None:
    app = announced_hub.app
    code = await app[DEVICES].create_pairing_code("beacon", "agent-1", "room-2")
    states: list[LinkState] = []
    replies: list[HeartbeatReply] = []
    outbox = Outbox(tmp_path / "state" / "outbox.db")
    link = DeviceLink(
        state_dir=tmp_path / "state",
        kind="beacon",
        name="agent-1",
        outbox=outbox,
        pair_code=code.code,
        site=app[SETTINGS].site,
        heartbeat_s=0.2,
        flush_s=0.05,
        discovery_interfaces=LOOPBACK,
        on_state=lambda state, detail: states.append(state),
        on_heartbeat=replies.append,
    )
    task = asyncio.create_task(link.run())
    try:
        events = [visit(), interaction(), visit()]
        await link.add_events(events)
        assert await link.flushed(10.0)
        with app[STORE].read() as conn:
            stored = [r[0] for r in conn.execute("SELECT id FROM events ORDER BY seq")]
        assert stored == [e.id for e in events]
        await wait_for(lambda: replies)
        assert replies[0].pseudonym_key and replies[0].zone == "room-2"
        credentials = load_credentials(tmp_path / "state")
        assert credentials is not None
        assert credentials.hub_url == str(announced_hub.make_url("")).rstrip("/")

        await app[DEVICES].revoke(credentials.device_id)
        await wait_for(lambda: link.state is LinkState.NEEDS_PAIRING)
        assert "pair" in link.detail
        assert load_credentials(tmp_path / "state") is None
        await link.add_events([interaction()])  # kept while unpaired

        new_code = await app[DEVICES].create_pairing_code("beacon", "agent-1", "room-2")
        link.pair(new_code.code)
        assert await link.flushed(10.0)
        assert link.state is LinkState.ONLINE
    finally:
        link.stop()
        await asyncio.wait_for(task, 10.0)
        outbox.close()
    assert LinkState.SEARCHING in states and states[-1] is LinkState.STOPPED


async def test_link_keeps_events_while_the_hub_is_down_and_sends_them_later(
    aiohttp_server: ServerFactory, hub_settings: Settings, tmp_path: Path
) -> None:
    app = create_app(hub_settings)
    server = await aiohttp_server(app, host="127.0.0.1", port=hub_settings.port)
    url = str(server.make_url("")).rstrip("/")
    code = await app[DEVICES].create_pairing_code("kiosk", "kiosk-1", None)
    outbox = Outbox(tmp_path / "outbox.db")
    from hub.client.policies import Backoff

    link = DeviceLink(
        state_dir=tmp_path / "state",
        kind="kiosk",
        name="kiosk-1",
        outbox=outbox,
        hub_url=url,
        pair_code=code.code,
        heartbeat_s=0.2,
        flush_s=0.05,
        backoff=Backoff(base=0.05, cap=0.2),
    )
    task = asyncio.create_task(link.run())
    try:
        await wait_for(lambda: link.state is LinkState.ONLINE)
        await server.close()
        await link.add_events([interaction() for _ in range(4)])
        await wait_for(lambda: link.state is LinkState.OFFLINE)
        assert len(outbox) == 4
        restarted = create_app(hub_settings)  # the hub comes back on the same data
        await aiohttp_server(restarted, host="127.0.0.1", port=hub_settings.port)
        assert await link.flushed(10.0)
        with restarted[STORE].read() as conn:
            assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 4
    finally:
        link.stop()
        await asyncio.wait_for(task, 10.0)
        outbox.close()


async def test_a_saved_token_alone_never_shows_the_link_online(tmp_path: Path) -> None:
    from cimaise.demo import free_port
    from hub.client.credentials import Credentials, save_credentials
    from hub.client.policies import Backoff

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    save_credentials(
        tmp_path,
        Credentials(device_id="d1", token="t", hub_url=dead, zone=None, kind="beacon", name="a"),
    )
    states: list[LinkState] = []

    async def record(state: LinkState, detail: str) -> None:
        states.append(state)

    with Outbox(tmp_path / "outbox.db") as outbox:
        link = DeviceLink(
            state_dir=tmp_path, kind="beacon", name="a", outbox=outbox, hub_url=dead,
            heartbeat_s=0.1, backoff=Backoff(base=0.05, cap=0.1), on_state=record,
        )
        task = asyncio.create_task(link.run())
        await wait_for(lambda: LinkState.OFFLINE in states, 10)
        await asyncio.sleep(0.5)  # several heartbeats and retries against the dead address
        link.stop()
        await task
    assert LinkState.ONLINE not in states


async def test_a_code_typed_while_not_paired_is_announced_is_not_lost(
    aiohttp_server: ServerFactory, hub_settings: Settings, tmp_path: Path
) -> None:
    # The kiosk shows its keypad from the state callback; a technician fast enough to
    # submit a code before the callback returns must not be left waiting for ever.
    server = await aiohttp_server(create_app(hub_settings), host="127.0.0.1")
    code = await server.app[DEVICES].create_pairing_code("kiosk", "k-1", None)
    link: DeviceLink

    async def typed_during_announcement(state: LinkState, detail: str) -> None:
        if state is LinkState.NEEDS_PAIRING:
            await asyncio.sleep(0)  # the UI's own work yields to the loop
            link.pair(code.code)

    with Outbox(tmp_path / "outbox.db") as outbox:
        link = DeviceLink(
            state_dir=tmp_path,
            kind="kiosk",
            name="k-1",
            outbox=outbox,
            hub_url=str(server.make_url("")),
            heartbeat_s=0.2,
            on_state=typed_during_announcement,
        )
        task = asyncio.create_task(link.run())
        try:
            await wait_for(lambda: link.state is LinkState.ONLINE, 10)
            assert load_credentials(tmp_path) is not None
        finally:
            link.stop()
            await asyncio.wait_for(task, 10.0)
