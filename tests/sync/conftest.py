"""Fixtures of the sync tests: a real store, real receivers on loopback, scripted events."""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from cimaise.settings import Settings
from hub.client.events import Event, Interaction, Occupancy, Visit, encode_event, new_event_id
from hub.store import EventRow, Store, rfc3339
from hub.sync.backoff import Backoff
from hub.sync.receiver import create_receiver_app, read_records
from hub.sync.worker import SyncOptions, SyncWorker

SECRET = "test-secret"
SITE = "musee-test"

FAST = SyncOptions(
    max_count=50,
    backoff=Backoff(base=0.01, cap=0.05, max_retry_after=1.0),
    timeout_s=0.5,
    poll_s=0.02,
    housekeeping_s=3600.0,
    heartbeat_s=0.05,
)


def visit(
    visitor: str, zone: str, start: datetime, minutes: float = 3.0, *, ts: datetime | None = None
) -> Visit:
    end = start + timedelta(minutes=minutes)
    return Visit(
        id=new_event_id(),
        ts=ts or end,
        zone=zone,
        visitor=visitor,
        start=start,
        end=end,
        dwell_s=minutes * 60,
        samples=10,
        min_distance_m=1.2,
    )


def mixed_events(n: int, start: datetime, rng: random.Random) -> list[Event]:
    """``n`` events of every type, pseudonyms drawn from a small population."""
    out: list[Event] = []
    for i in range(n):
        moment = start + timedelta(seconds=i)
        kind = i % 3
        if kind == 0:
            out.append(visit(f"{rng.getrandbits(64):016x}", f"room-{i % 4}", moment, ts=moment))
        elif kind == 1:
            out.append(
                Occupancy(
                    id=new_event_id(),
                    ts=moment,
                    zone=f"room-{i % 4}",
                    start=moment,
                    end=moment + timedelta(minutes=1),
                    count=i % 7,
                    peak=i % 9,
                )
            )
        else:
            out.append(
                Interaction(
                    id=new_event_id(),
                    ts=moment,
                    session=f"{rng.getrandbits(64):016x}",
                    action="view_artwork",
                    artwork=f"art-{i % 11}",
                )
            )
    return out


def row(event: Event, device: str = "dev-1", zone: str | None = None) -> EventRow:
    visitor = event.visitor if isinstance(event, Visit) else None
    if isinstance(event, Visit | Occupancy):
        zone = event.zone
    return EventRow(
        id=event.id,
        type=type(event).__name__.lower(),
        ts=rfc3339(event.ts),
        device_id=device,
        site=SITE,
        zone=zone,
        visitor=visitor,
        body=encode_event(event),
    )


async def ingest(store: Store, events: list[Event]) -> None:
    for i in range(0, len(events), 200):
        await store.ingest([row(e, zone="room-k") for e in events[i : i + 200]])


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "hub" / "hub.db") as s:
        yield s


def settings(url: str | None, **values: Any) -> Settings:
    base: dict[str, Any] = {"cloud_url": url, "cloud_secret": SECRET, "site": SITE}
    base.update(values)
    return Settings(**base)


@dataclass
class Faults:
    """What the test receiver does to each request before (or after) the real receiver."""

    rng: random.Random = field(default_factory=lambda: random.Random(1234))
    p_error: float = 0.0  # 5xx before storing
    p_timeout: float = 0.0  # stall past the client's timeout (half of them after storing)
    p_drop_after_store: float = 0.0  # store, then cut the connection before answering
    p_429: float = 0.0  # 429 with Retry-After: 1
    status_for: Callable[[bytes], int | None] = lambda body: None  # scripted answers
    stall_s: float = 1.0
    delay_s: float = 0.0  # latency added to every request
    bodies: list[bytes] = field(default_factory=list)  # every body received, as sent
    batch_ids: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)


def fault_middleware(faults: Faults) -> Any:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.method != "POST":
            return await handler(request)
        body = await request.read()
        if faults.delay_s:
            await asyncio.sleep(faults.delay_s)
        faults.bodies.append(body)
        faults.batch_ids.append(request.headers.get("Cimaise-Batch", ""))
        scripted = faults.status_for(body)
        if scripted is not None:
            faults.answers.append(str(scripted))
            return web.json_response({"detail": "scripted"}, status=scripted)
        roll = faults.rng.random()
        edge = faults.p_error
        if roll < edge:
            faults.answers.append("503")
            return web.json_response({"detail": "injected"}, status=503)
        edge += faults.p_429
        if roll < edge:
            faults.answers.append("429")
            return web.json_response({}, status=429, headers={"Retry-After": "1"})
        edge += faults.p_timeout
        if roll < edge:
            faults.answers.append("timeout")
            if faults.rng.random() < 0.5:
                await handler(request)  # stored, but the answer comes too late
            await asyncio.sleep(faults.stall_s)
            return web.json_response({"detail": "late"}, status=503)
        edge += faults.p_drop_after_store
        response = await handler(request)
        if roll < edge:
            faults.answers.append("drop")
            assert request.transport is not None
            request.transport.abort()  # the batch is stored; the hub never hears so
            return response
        faults.answers.append(str(response.status))
        return response

    return middleware


def receiver_app(data: Path, faults: Faults | None = None, secret: str = SECRET) -> web.Application:
    app = create_receiver_app(data, secret)
    if faults is not None:
        app.middlewares.append(fault_middleware(faults))
    return app


def received(data: Path) -> list[dict[str, Any]]:
    if not (data / "receiver.db").exists():
        return []
    return [json.loads(line) for _, line in read_records(data)]


def scan_bodies(bodies: list[bytes]) -> bytes:
    """Every byte the receiver was sent, decompressed."""
    return b"".join(gzip.decompress(b) for b in bodies if b)


async def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.fixture
async def running_receiver(tmp_path: Path) -> AsyncIterator[tuple[TestServer, Faults, Path]]:
    faults = Faults()
    data = tmp_path / "cloud"
    server = TestServer(receiver_app(data, faults), host="127.0.0.1")
    await server.start_server()
    try:
        yield server, faults, data
    finally:
        await server.close()


def start_worker(options: SyncOptions = FAST, **kw: Any) -> SyncWorker:
    return SyncWorker(options, rand=random.Random(99).random, **kw)


T_DAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
