"""Sending the visitor's opt-in usage events to the hub, a few seconds at a time.

The phone never pairs: it posts to the hub's public route ``POST /api/v1/public/events``,
which takes only ``interaction`` events. Batches that cannot be delivered (no hub
found yet, the hub out of reach, a refusal) are dropped silently: nothing waits on the
phone for a later visit, and the guide never shows an error for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Final

import aiohttp
import msgspec

from hub.client.events import Interaction
from phone.guide import VisitUsage

log = logging.getLogger(__name__)

PUBLIC_EVENTS_PATH: Final = "/api/v1/public/events"
FLUSH_S: Final = 5.0  # how often the waiting events are sent
BATCH: Final = 50  # events per request, well under the route's 64 KiB
TIMEOUT_S: Final = 5.0


class _Batch(msgspec.Struct):
    events: list[Interaction]


_encoder = msgspec.json.Encoder()


async def post_events(
    http: aiohttp.ClientSession, base_url: str, events: Sequence[Interaction]
) -> bool:
    """Send one batch; True when the hub stored it (or already had it)."""
    body = _encoder.encode(_Batch(list(events)))
    try:
        async with http.post(
            base_url.rstrip("/") + PUBLIC_EVENTS_PATH,
            data=body,
            headers={"Content-Type": "application/json"},
        ) as response:
            await response.read()
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.debug("usage events not sent: %s", exc)
        return False


async def flush_once(
    http: aiohttp.ClientSession,
    usage: VisitUsage,
    base_url: str | None,
    opted_in: bool,
) -> int:
    """Send what waits (when opted in and a hub is known); the count the hub took.

    What is taken from the queue is gone either way: a batch that fails is dropped.
    """
    if not opted_in:
        usage.forget()
        return 0
    sent = 0
    while usage.events:
        batch = usage.take(BATCH)
        if base_url is None or not await post_events(http, base_url, batch):
            usage.forget()  # no hub to take them: dropped, not kept for later
            return sent
        sent += len(batch)
    return sent


async def send_loop(
    usage: VisitUsage,
    base_url: Callable[[], str | None],
    opted_in: Callable[[], bool],
    stopping: asyncio.Event,
    *,
    every_s: float = FLUSH_S,
    on_sent: Callable[[int], None] | None = None,
) -> None:
    """Every ``every_s`` seconds, send the waiting events, until ``stopping`` is set."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), every_s)
            if not usage.events:
                continue
            sent = await flush_once(http, usage, base_url(), opted_in())
            if sent and on_sent is not None:
                on_sent(sent)
