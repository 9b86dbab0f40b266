"""The worker inside the hub's app: started with the store, figures on /metrics."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from hub.app import create_app
from hub.client.events import utc_now
from hub.keys import STORE
from hub.sync.worker import SYNC, setup_sync, sync_ctx
from tests.sync.conftest import FAST, Faults, ingest, mixed_events, received, settings, wait_for


async def test_hub_app_runs_the_worker_and_shows_its_state_on_metrics(
    aiohttp_client: Any, tmp_path: Path, running_receiver: tuple[TestServer, Faults, Path]
) -> None:
    server, _, cloud = running_receiver
    hub_settings = settings(
        str(server.make_url("/")),
        data=tmp_path / "hub",
        content=tmp_path / "no-content",
        zeroconf=False,
    )
    app = create_app(hub_settings)
    setup_sync(app, FAST)
    setup_sync(app, FAST)  # a second call only tunes the same worker
    assert list(app.cleanup_ctx).count(sync_ctx) == 1
    client = await aiohttp_client(app)
    await ingest(app[STORE], mixed_events(75, utc_now(), random.Random(1)))
    await wait_for(lambda: len(received(cloud)) == 75)
    await wait_for(lambda: app[SYNC].status.backlog == 0)
    text = await (await client.get("/metrics")).text()
    assert "cimaise_sync_enabled 1.0" in text
    assert "cimaise_sync_backlog_events 0.0" in text
    assert "cimaise_sync_records_total 75.0" in text
    assert "cimaise_sync_last_success_timestamp_seconds" in text
