"""Simulated devices for the fault tests: they send events the way a device's outbox does.

Each device keeps an unacknowledged batch and sends it again, same ids, until the hub
answers 200; it records which ids were acknowledged and what the hub counted, so a test
can compare "acknowledged" with "stored" after the hub was killed at random moments.
"""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import dataclass, field

from cimaise.errors import HubUnreachableError
from hub.client.api import HubClient, HubRequestError
from hub.client.events import Interaction, encode_event, new_event_id, utc_now


def interaction(session: str) -> tuple[str, bytes]:
    """One valid interaction event as (id, JSON)."""
    event = Interaction(
        id=new_event_id(),
        ts=utc_now(),
        session=session,
        action="view_artwork",
        artwork="fault-test",
    )
    return event.id, encode_event(event)


@dataclass
class Ledger:
    """What one device sent and what the hub acknowledged."""

    sent: set[str] = field(default_factory=set)
    acked: set[str] = field(default_factory=set)
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    failures: int = 0  # requests that got no answer or a 5xx (hub down, killed, 503)


async def run_device(
    client: HubClient,
    ledger: Ledger,
    stop: asyncio.Event,
    rng: random.Random,
    max_batch: int = 40,
) -> None:
    """Send batches until ``stop``, then deliver what is still unacknowledged."""
    session = os.urandom(8).hex()
    pending: list[tuple[str, bytes]] = []
    while True:
        if not pending:
            if stop.is_set():
                return
            pending = [interaction(session) for _ in range(rng.randint(1, max_batch))]
            ledger.sent.update(i for i, _ in pending)
        try:
            reply = await client.send_raw([body for _, body in pending])
        except (HubUnreachableError, HubRequestError) as exc:
            if isinstance(exc, HubRequestError) and exc.status < 500:
                raise
            ledger.failures += 1
            await asyncio.sleep(rng.uniform(0.02, 0.15))
            continue
        ledger.accepted += reply.accepted
        ledger.duplicates += reply.duplicates
        ledger.rejected += len(reply.rejected)
        ledger.acked.update(i for i, _ in pending)
        pending = []
        await asyncio.sleep(rng.uniform(0.0, 0.01))
