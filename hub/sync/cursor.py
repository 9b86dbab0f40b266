"""The durable cursor of one sync stream and its batch in flight (pure state).

A stream (``events``, ``flows``) is a table with increasing sequence numbers. The
cursor is the last sequence number that is done (delivered or parked). The batch in
flight fixes the range of the next batch before its first attempt, so every retry
(even after a restart) sends the same range under the same id; the cursor moves only
when the receiver answered 2xx, or when the batch is parked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from hub.sync.batching import StreamRows, batch_id, edge_digest


@dataclass(frozen=True, slots=True)
class InFlight:
    """The batch being sent: its id, its range and how often it failed in a row."""

    batch: str
    first: int
    last: int
    failures: int = 0


@dataclass(frozen=True, slots=True)
class StreamCursor:
    """Position of one stream and its batch in flight (None when idle)."""

    stream: str
    position: int = 0
    in_flight: InFlight | None = None

    def window(self) -> tuple[int, int | None]:
        """The sequence range to read next: the batch in flight, or everything after."""
        if self.in_flight is not None:
            return self.in_flight.first, self.in_flight.last
        return self.position + 1, None

    def plan(self, rows: StreamRows, epoch: str) -> StreamCursor:
        """Fix the next batch: ``rows``, after the cursor, already cut to a batch's size
        (``StreamRows.head``).

        Nothing changes when a batch is already in flight or there are no rows. The id
        depends on the records the batch holds, not only on its range.
        """
        if self.in_flight is not None or not rows.seqs:
            return self
        first, last = rows.seqs[0], rows.seqs[-1]
        if first <= self.position:
            raise ValueError("rows must come after the cursor")
        flight = InFlight(batch_id(epoch, self.stream, first, last, rows.digest()), first, last)
        return dataclasses.replace(self, in_flight=flight)

    def failed(self) -> StreamCursor:
        """The attempt failed and will be retried: same batch, one more failure."""
        if self.in_flight is None:
            return self
        flight = dataclasses.replace(self.in_flight, failures=self.in_flight.failures + 1)
        return dataclasses.replace(self, in_flight=flight)

    def done(self) -> StreamCursor:
        """The batch was delivered (or parked): the cursor moves past it."""
        if self.in_flight is None:
            return self
        return StreamCursor(self.stream, max(self.position, self.in_flight.last), None)

    def split(self, seqs: Sequence[int], epoch: str) -> StreamCursor | None:
        """Halve the batch in flight whose range holds ``seqs``; None when it is one row."""
        if self.in_flight is None or len(seqs) < 2:
            return None
        last = seqs[len(seqs) // 2 - 1]
        first = self.in_flight.first
        # The first half of a saved batch: its id follows from the parent's, which already
        # names what the batch holds.
        digest = edge_digest(self.in_flight.batch.encode())
        flight = InFlight(batch_id(epoch, self.stream, first, last, digest), first, last)
        return dataclasses.replace(self, in_flight=flight)
