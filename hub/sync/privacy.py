"""Stored events to the records that leave the building, by privacy mode (pure).

Wire records are built from an explicit list of fields per event type, never by copying
a stored body: a field added to an event later does not reach the cloud until it is
listed here. In ``anonymous`` mode (the default) a visit's pseudonym is dropped; in
``pseudonymous`` mode (an explicit opt-in) it is kept. The hub stamps ``site``,
``device`` (the hub's id of the kiosk or agent, not of a visitor) and ``received``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import msgspec

from cimaise.settings import PrivacyMode
from hub.sync.batching import StreamRows


@dataclass(frozen=True, slots=True)
class StoredRow:
    """The columns of one events-table row that the sync reads."""

    seq: int
    id: str
    type: str
    received: str
    device_id: str
    site: str
    zone: str | None
    body: str


class _Record(msgspec.Struct, kw_only=True, omit_defaults=True, tag_field="type", gc=False):
    # gc=False: scalar fields only, so no cycles; the export makes many thousands at a time
    id: str
    ts: str
    site: str = ""
    device: str = ""
    received: str = ""


class VisitRecord(_Record, tag="visit"):
    """A visit as sent: zone, times, dwell, distance, samples; the pseudonym only if opted in."""

    zone: str
    start: str
    end: str
    dwell_s: float
    samples: int
    min_distance_m: float | None = None
    visitor: str | None = None


class OccupancyRecord(_Record, tag="occupancy"):
    """An occupancy aggregate as sent (it never held a pseudonym)."""

    zone: str
    start: str
    end: str
    count: int
    peak: int


class InteractionRecord(_Record, tag="interaction"):
    """A kiosk action as sent; ``zone`` is the kiosk's zone stamped by the hub."""

    session: str
    action: str
    artwork: str | None = None
    language: str | None = None
    screen: str | None = None
    zone: str | None = None


class FlowRecord(msgspec.Struct, kw_only=True, tag="flow", tag_field="type"):
    """Visitors moving from one zone to another in one hour of one day (k-anonymous count)."""

    id: str
    day: str
    hour: str
    from_zone: str = msgspec.field(name="from")
    to_zone: str = msgspec.field(name="to")
    count: int
    visitors: int
    site: str


EventRecord = VisitRecord | OccupancyRecord | InteractionRecord
_decoder: Final = msgspec.json.Decoder(EventRecord)
_encoder: Final = msgspec.json.Encoder()


def to_record(row: StoredRow, mode: PrivacyMode) -> EventRecord | None:
    """The record a stored event becomes on the wire, or None for a type the sync skips."""
    try:
        record: EventRecord = _decoder.decode(row.body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    record.site = row.site
    record.device = row.device_id
    record.received = row.received
    if isinstance(record, VisitRecord):
        if mode != "pseudonymous":
            record.visitor = None
    elif isinstance(record, InteractionRecord):
        record.zone = row.zone
    return record


def to_line(row: StoredRow, mode: PrivacyMode) -> bytes | None:
    """One NDJSON line (with its newline) for a stored event, or None when it is skipped."""
    record = to_record(row, mode)
    if record is None:
        return None
    return _encoder.encode(record) + b"\n"


def event_rows(
    rows: Iterable[tuple[int, str, str, str, str | None, str]], mode: PrivacyMode
) -> StreamRows:
    """``(seq, received, device_id, site, zone, body)`` rows as the records they send.

    The same transform as ``to_line`` without building a ``StoredRow`` per event, and
    the records encoded at once (the export's hot path). A row whose body does not
    decode is skipped: it belongs to the range but sends nothing.
    """
    decode = _decoder.decode
    keep_visitor = mode == "pseudonymous"
    seqs: list[int] = []
    records: list[EventRecord] = []
    skipped: list[int] = []
    add_seq = seqs.append
    add_record = records.append
    for seq, received, device, site, zone, body in rows:
        add_seq(seq)
        try:
            record = decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            skipped.append(seq)
            continue
        record.site = site
        record.device = device
        record.received = received
        kind = type(record)
        if kind is VisitRecord:
            if not keep_visitor:
                record.visitor = None
        elif kind is InteractionRecord:
            record.zone = zone
        add_record(record)
    return StreamRows(seqs, _encoder.encode_lines(records), frozenset(skipped))


def flow_rows(seqs: list[int], records: list[FlowRecord]) -> StreamRows:
    """Flow counts as they are sent, one record per sequence number."""
    if len(seqs) != len(records):
        raise ValueError(f"{len(records)} flow records for {len(seqs)} sequence numbers")
    return StreamRows(seqs, _encoder.encode_lines(records))
