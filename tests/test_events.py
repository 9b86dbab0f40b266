"""The event schema: valid events decode, invalid ones give a reason; ids are UUIDv7."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from hub.client.events import Interaction, Visit, decode_event, encode_event, new_event_id, utc_now


def test_ids_are_uuid7_and_increasing() -> None:
    ids = [new_event_id() for _ in range(5000)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_visit_round_trips() -> None:
    now = utc_now()
    visit = Visit(
        id=new_event_id(),
        ts=now,
        zone="room-1",
        visitor="ab12cd34ef56",
        start=now,
        end=now,
        dwell_s=12.5,
        samples=7,
        min_distance_m=1.2,
    )
    assert decode_event(encode_event(visit)) == visit
    assert b'"type":"visit"' in encode_event(visit)


INTERACTION = b'{"type":"interaction","id":"%s","ts":"%s","session":"ab12cd34","action":"zoom"}'


@pytest.mark.parametrize(
    "body, reason",
    [
        (b'{"type":"visit"}', "missing required field"),
        (b'{"type":"teleport","id":"x","ts":"2026-01-01T00:00:00Z"}', "Invalid value 'teleport'"),
        (INTERACTION % (b"not-a-uuid", b"2026-01-01T00:00:00Z"), "id"),
        (INTERACTION % (b"0190b4a0-0000-7000-8000-000000000000", b"2026-01-01T00:00:00"), "ts"),
    ],
)
def test_invalid_events_say_why(body: bytes, reason: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=reason):
        decode_event(body)


def test_interaction_has_no_personal_fields() -> None:
    fields = set(Interaction.__struct_fields__)
    assert fields == {"id", "ts", "session", "action", "artwork", "language", "screen"}
