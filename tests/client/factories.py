"""Valid events for tests, each with a fresh UUIDv7."""

from __future__ import annotations

import secrets
from datetime import timedelta

from hub.client.events import Interaction, Occupancy, Visit, new_event_id, utc_now


def interaction(action: str = "view_artwork", artwork: str | None = "wave") -> Interaction:
    return Interaction(
        id=new_event_id(),
        ts=utc_now(),
        session=secrets.token_hex(8),
        action=action,  # type: ignore[arg-type]
        artwork=artwork,
    )


def visit(zone: str = "room-1", dwell_s: float = 42.0) -> Visit:
    end = utc_now()
    return Visit(
        id=new_event_id(),
        ts=end,
        zone=zone,
        visitor=secrets.token_hex(8),
        start=end - timedelta(seconds=dwell_s),
        end=end,
        dwell_s=dwell_s,
        samples=10,
        min_distance_m=1.5,
    )


def occupancy(zone: str = "room-1", count: int = 3) -> Occupancy:
    end = utc_now()
    return Occupancy(
        id=new_event_id(),
        ts=end,
        zone=zone,
        start=end - timedelta(minutes=1),
        end=end,
        count=count,
        peak=count + 1,
    )
