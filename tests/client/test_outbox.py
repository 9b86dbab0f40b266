from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hub.client.events import decode_event
from hub.client.outbox import Outbox
from hub.client.policies import OutboxBound
from tests.client.factories import interaction, visit


def test_events_wait_until_acknowledged_and_survive_reopening(tmp_path: Path) -> None:
    events = [interaction() for _ in range(5)]
    with Outbox(tmp_path / "outbox.db") as outbox:
        outbox.add(events)
        batch = outbox.next_batch(3)
        assert [item.id for item in batch] == [e.id for e in events[:3]]
        assert decode_event(batch[0].body) == events[0]
        outbox.ack([item.id for item in batch[:2]])
    with Outbox(tmp_path / "outbox.db") as outbox:
        assert [item.id for item in outbox.next_batch(10)] == [e.id for e in events[2:]]
        assert len(outbox) == 3


def test_same_event_added_twice_waits_once(tmp_path: Path) -> None:
    event = visit()
    with Outbox(tmp_path / "o.db") as outbox:
        outbox.add([event])
        outbox.add([event])
        assert len(outbox) == 1


def test_full_outbox_drops_oldest_and_counts_them_durably(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events = [interaction() for _ in range(7)]
    with Outbox(tmp_path / "o.db", OutboxBound(max_events=4)) as outbox:
        outbox.add(events[:3])
        with caplog.at_level(logging.WARNING):
            assert outbox.add(events[3:]) == 3
        assert "outbox full: dropped 3 oldest events" in caplog.text
        assert [i.id for i in outbox.next_batch(10)] == [e.id for e in events[3:]]
    with Outbox(tmp_path / "o.db", OutboxBound(max_events=4)) as outbox:
        assert outbox.dropped == 3
        stats = outbox.stats()
        assert (stats.pending, stats.dropped) == (4, 3)
        assert stats.oldest is not None and stats.oldest.endswith("Z")


def test_a_batch_larger_than_the_bound_keeps_its_newest(tmp_path: Path) -> None:
    events = [interaction() for _ in range(6)]
    with Outbox(tmp_path / "o.db", OutboxBound(max_events=2)) as outbox:
        outbox.add(events[:1])
        assert outbox.add(events[1:]) == 4
        assert [i.id for i in outbox.next_batch(10)] == [e.id for e in events[4:]]
        assert outbox.dropped == 4
