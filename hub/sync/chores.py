"""The privacy and disk chores in their order, through the store (thin adapter).

The SQL of each step is in ``hub.sync.housekeeping``; the flow counting in the pure
``hub.sync.flows``. Writes go through ``store.run_write`` (the store's writer thread), reads run
on the store's read connections off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from cimaise.settings import Settings
from hub.store import Store
from hub.sync import housekeeping as hk
from hub.sync.flows import compute_flows
from hub.sync.status import SyncStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ROUNDS = 1000  # bounded loops: at most this many chunks of deletions per round


class StoreAccess:
    """Reads off the loop on the store's read connections; writes through its writer."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on a read-only connection in a worker thread."""
        store = self.store

        def run() -> T:
            with store.read() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one committed transaction of the store's writer."""
        return await self.store.run_write(fn)


async def run_chores(
    db: StoreAccess,
    settings: Settings,
    status: SyncStatus,
    *,
    now: datetime,
    events_upto: int | None,
    flows_upto: int | None,
    grace: timedelta,
    chunk: int,
) -> None:
    """One round: flows, purge, retention, budget (see ``hub.sync.housekeeping``).

    ``events_upto``/``flows_upto``: the sync cursors (what is delivered); None when
    sync is off, so that no event waits for a sync.
    """
    for day in await db.read(lambda c: hk.days_to_count(c, now, grace)):
        visits = await db.read(functools.partial(hk.day_visits, day=day))
        result = compute_flows(visits, k=settings.k_anonymity)
        await db.write(
            functools.partial(hk.store_flows, day=day, result=result, visits=len(visits), now=now)
        )
        log.info(
            "flows of %s counted: %d cells kept, %d under k=%d suppressed",
            day,
            len(result.flows),
            result.suppressed_cells,
            settings.k_anonymity,
        )
    cutoff = now - timedelta(hours=settings.pseudonym_retention_hours)
    purged = await db.write(lambda c: hk.purge_pseudonyms(c, cutoff))
    if purged:
        log.info("purged %d visit pseudonyms older than the retention", purged)
    status.pseudonyms_purged += purged
    upto = events_upto if events_upto is not None else await db.read(hk.max_seq)
    old = now - timedelta(days=settings.event_retention_days)
    for _ in range(MAX_ROUNDS):
        n = await db.write(lambda c: hk.delete_events(c, upto, old, chunk))
        status.events_deleted += n
        if n < chunk:
            break
    flows = flows_upto if flows_upto is not None else 2**62
    await db.write(lambda c: hk.delete_flows(c, flows, old))
    budget = settings.disk_budget_mb * 1024 * 1024
    used = await db.read(hk.used_bytes)
    for _ in range(MAX_ROUNDS):
        if used <= budget:
            break
        n = await db.write(lambda c: hk.delete_events(c, upto, None, chunk))
        status.events_deleted += n
        used = await db.read(hk.used_bytes)
        if n == 0:
            break
    if used > budget and not status.budget_exceeded:
        log.warning(
            "disk budget exceeded (%d MB used of %d MB): unsynced events are kept",
            used // 2**20,
            settings.disk_budget_mb,
        )
    status.disk_used_bytes = used
    status.budget_exceeded = used > budget
