"""The hub down for a while: a device's outbox keeps its events and delivers every one
afterwards; a full outbox drops its oldest events and says how many."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.client.device import DeviceLink, LinkState
from hub.client.events import Event, Interaction, new_event_id, utc_now
from hub.client.outbox import Outbox
from hub.client.policies import Backoff, OutboxBound
from tests.faults.processes import HubProcess, read_db, stored_event_ids


def interactions(n: int) -> list[Event]:
    session = new_event_id().replace("-", "")[:16]
    return [
        Interaction(id=new_event_id(), ts=utc_now(), session=session, action="browse")
        for _ in range(n)
    ]


async def wait_state(link: DeviceLink, state: LinkState, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while link.state is not state:
        assert loop.time() < deadline, f"link stayed {link.state} ({link.detail}), not {state}"
        await asyncio.sleep(0.05)


class Device:
    """A real device link (outbox, backoff, heartbeats) pointed at the hub under test."""

    def __init__(self, hub: HubProcess, state: Path, code: str, bound: OutboxBound) -> None:
        self.outbox = Outbox(state / "outbox.db", bound)
        self.link = DeviceLink(
            state_dir=state,
            kind="kiosk",
            name="kiosk-outbox",
            outbox=self.outbox,
            hub_url=hub.url,
            pair_code=code,
            heartbeat_s=0.5,
            flush_s=0.1,
            backoff=Backoff(base=0.1, cap=0.5),
        )
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Device:
        self.task = asyncio.create_task(self.link.run())
        await wait_state(self.link, LinkState.ONLINE, 30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.link.stop()
        if self.task is not None:
            await asyncio.wait_for(self.task, 30)
        await asyncio.to_thread(self.outbox.close)


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[HubProcess]:
    process = HubProcess(tmp_path / "hub", tmp_path / "logs")
    await asyncio.to_thread(process.start_and_wait)
    try:
        yield process
    finally:
        process.stop()


async def test_outbox_delivers_everything_after_the_hub_was_down(
    hub: HubProcess, tmp_path: Path
) -> None:
    code = await asyncio.to_thread(hub.pair, "kiosk", "kiosk-outbox", "zone-a")
    async with Device(hub, tmp_path / "device", code, OutboxBound()) as device:
        before = interactions(50)
        await device.link.add_events(before)
        assert await device.link.flushed(30)

        hub.stop()
        during = interactions(300)
        for start in range(0, len(during), 60):
            await device.link.add_events(during[start : start + 60])
        await wait_state(device.link, LinkState.OFFLINE, 30)
        await asyncio.sleep(2.0)  # down "for a while": retries keep failing
        assert len(device.outbox) == 300

        await asyncio.to_thread(hub.start_and_wait)
        assert await device.link.flushed(60), "the outbox did not drain after the hub came back"
        assert device.outbox.dropped == 0

    stored = stored_event_ids(hub.db)
    assert len(stored) == len(set(stored))
    assert set(stored) == {e.id for e in before + during}


async def test_full_outbox_drops_oldest_and_says_how_many(
    hub: HubProcess, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code = await asyncio.to_thread(hub.pair, "kiosk", "kiosk-outbox", "zone-a")
    async with Device(hub, tmp_path / "device", code, OutboxBound(max_events=100)) as device:
        hub.stop()
        events = interactions(250)
        with caplog.at_level(logging.WARNING, logger="hub.client.outbox"):
            for start in range(0, len(events), 50):
                await device.link.add_events(events[start : start + 50])
        await wait_state(device.link, LinkState.OFFLINE, 30)
        assert device.outbox.dropped == 150
        assert len(device.outbox) == 100
        assert "outbox full: dropped" in caplog.text

        await asyncio.to_thread(hub.start_and_wait)
        assert await device.link.flushed(60)
        device_id = device.link.credentials.device_id if device.link.credentials else None

        # The next heartbeat carries the outbox's figures to the hub (the Devices page).
        def reported() -> str:
            with read_db(hub.db) as conn:
                row = conn.execute("SELECT status FROM devices WHERE id = ?", (device_id,))
                return str((row.fetchone() or [""])[0] or "")

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while '"dropped":150' not in reported().replace(" ", ""):
            assert loop.time() < deadline, f"heartbeat status: {reported()}"
            await asyncio.sleep(0.1)

    stored = stored_event_ids(hub.db)
    assert set(stored) == {e.id for e in events[150:]}, "the newest 100 events arrived"
