"""A live agent on the fake BlueZ: it scans with bleak, advertises its beacon, and reports
what it heard of a museum tag (advertised by the other fake adapter) to a real hub."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import msgspec
from aiohttp import web
from aiohttp.test_utils import TestServer
from dbus_fast import BusType, Message
from dbus_fast.aio import MessageBus

from beacon_agent.advertiser import AdvertisementContent, Advertiser
from beacon_agent.agent import MANIFEST_FILE, AgentOptions, BeaconAgent
from beacon_agent.frames import EDDYSTONE_UUID, EddystoneUid, encode_eddystone
from hub.client.manifest import (
    Beacon,
    Exhibition,
    IBeaconId,
    Info,
    Manifest,
    Zone,
)
from hub.client.manifest import EddystoneUid as UidId
from hub.keys import DEVICES
from tests.beacon_agent.conftest import SCANNER_ADDRESS

NAMESPACE = "c1a15e007a1e4e5a9c1a"
TAG = Beacon(
    id="t07",
    kind="fixed",
    eddystone_uid=UidId(namespace=NAMESPACE, instance="000000000007"),
    zone="zone-a",
)
AGENT = Beacon(
    id="a1",
    kind="agent",
    zone="zone-a",
    ibeacon=IBeaconId(uuid="c1a15e00-7a1e-4e5a-9c1a-15e000000001", major=100, minor=1),
)
MANIFEST = Manifest(
    version="test-1",
    exhibition=Exhibition(id="x", title={"en": "X"}, languages=["en"], default_language="en"),
    zones=[Zone(id="zone-a", name={"en": "A"}, enter_rssi=-75, exit_rssi=-85)],
    artworks=[],
    beacons=[TAG, AGENT],
    info=Info(),
)


async def active_instances(adapter: str) -> int:
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    try:
        reply = await bus.call(
            Message(
                destination="org.bluez",
                path=f"/org/bluez/{adapter}",
                interface="org.freedesktop.DBus.Properties",
                member="Get",
                signature="ss",
                body=["org.bluez.LEAdvertisingManager1", "ActiveInstances"],
            )
        )
        assert reply is not None
        return int(reply.body[0].value)
    finally:
        bus.disconnect()


async def test_live_agent_scans_advertises_and_reports_tag_health(
    fake_bluez: str, loopback_hub: tuple[web.Application, TestServer], tmp_path: Path
) -> None:
    app, server = loopback_hub
    state = tmp_path / "agent"
    state.mkdir()
    (state / MANIFEST_FILE).write_bytes(msgspec.json.encode(MANIFEST))  # content cached earlier
    code = await app[DEVICES].create_pairing_code("beacon", "live", "zone-a")
    agent = BeaconAgent(
        AgentOptions(
            state=state,
            hub_url=str(server.make_url("")).rstrip("/"),
            pair_code=code.code,
            name="live",
            adapter="hci0",
            link_base="https://mus.eu",
            heartbeat_s=0.3,
        )
    )
    tag = AdvertisementContent(
        manufacturer_data={},
        service_data={
            EDDYSTONE_UUID: encode_eddystone(EddystoneUid(NAMESPACE, "000000000007", -20))
        },
        service_uuids=(EDDYSTONE_UUID,),
    )
    db = tmp_path / "hub" / "hub.db"

    def tag_health() -> tuple[object, ...] | None:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute(
                "SELECT beacon_id, reported_by FROM beacon_health WHERE beacon_id = 't07'"
            ).fetchone()

    async with Advertiser([tag], "hci1"):
        task = asyncio.create_task(agent.run())
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while tag_health() is None:
                assert not task.done(), task.exception() if task.done() else None
                assert loop.time() < deadline, "the tag's health never reached the hub"
                await asyncio.sleep(0.1)
            # the agent advertises its iBeacon and its Eddystone-URL link on hci0
            assert await active_instances("hci0") == 2
        finally:
            agent.request_stop()
            await asyncio.wait_for(task, 20)
    assert await active_instances("hci0") == 0
    health = tag_health()
    assert health is not None and agent.link.credentials is not None
    assert health[1] == agent.link.credentials.device_id
    # the fake adapters' addresses are nowhere in what the hub or the agent wrote
    for path in [*(tmp_path / "hub").rglob("*"), *state.rglob("*")]:
        if path.is_file():
            assert SCANNER_ADDRESS.encode() not in path.read_bytes().upper(), path
