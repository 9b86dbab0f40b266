"""The ingest fast path checks the schema's patterns per batch exactly as msgspec does per value."""

from __future__ import annotations

import json
from datetime import timedelta

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.api.batch_patterns import TWINS, _bulk, _strip
from hub.api.events import _rows_if_all_valid, validate_batch
from hub.client.events import (
    decode_event,
    encode_event,
    new_event_id,
    utc_now,
    whole,
)
from hub.devices.registry import Device

DEVICE = Device(id="dev-1", kind="kiosk", name="kiosk", zone="room-1")
NOW = utc_now()


def _visit(**fields: object) -> dict[str, object]:
    return {
        "type": "visit",
        "id": new_event_id(),
        "ts": NOW.isoformat(),
        "zone": "room-1",
        "visitor": "ab12cd34ef56",
        "start": (NOW - timedelta(seconds=30)).isoformat(),
        "end": NOW.isoformat(),
        "dwell_s": 30.0,
        "samples": 4,
        **fields,
    }


def _tap(**fields: object) -> dict[str, object]:
    return {
        "type": "interaction",
        "id": new_event_id(),
        "ts": NOW.isoformat(),
        "session": "ab12cd34",
        "action": "view_artwork",
        "artwork": "art-1",
        "language": "fr",
        **fields,
    }


def _body(events: list[dict[str, object]]) -> bytes:
    return json.dumps({"events": events}).encode()


def test_twins_are_the_wire_types_with_the_same_fields_and_bytes() -> None:
    for wire, twin in TWINS.items():
        assert issubclass(twin.type, wire)
        assert twin.type.__struct_fields__ == wire.__struct_fields__
    events = [_visit(), _tap(), _tap(artwork=None, language=None)]
    rows = _rows_if_all_valid(_body(events), DEVICE, "site")
    assert rows is not None
    for row, sent in zip(rows, events, strict=True):
        strict = decode_event(json.dumps(sent).encode())
        assert row.type == type(strict).__name__.lower()
        assert row.body == encode_event(strict)


def test_a_batch_without_some_optional_field_takes_the_fast_path() -> None:
    assert _rows_if_all_valid(_body([_visit(), _visit()]), DEVICE, "site") is not None
    taps = [_tap(artwork=None, language=None), _tap(artwork=None, language=None)]
    assert _rows_if_all_valid(_body(taps), DEVICE, "site") is not None


def test_a_pattern_sharing_its_meta_with_another_constraint_is_refused() -> None:
    from typing import Annotated

    with pytest.raises(TypeError, match="split them"):
        _strip(Annotated[str, msgspec.Meta(pattern="^a$", max_length=3)])


@pytest.mark.parametrize(
    "bad",
    [
        _visit(id="not-a-uuid"),
        _visit(zone="room 1"),
        _visit(visitor="XYZ"),
        _tap(session="short"),
        _tap(artwork=""),
        _tap(language="french"),
        _tap(screen="a/b"),
        _tap(artwork="a\nb"),  # two valid names once joined by newlines
    ],
)
def test_one_bad_value_sends_the_batch_to_the_strict_path(bad: dict[str, object]) -> None:
    events = [_visit(), _tap(), bad, _visit()]
    assert _rows_if_all_valid(_body(events), DEVICE, "site") is None
    raws = msgspec.json.decode(_body(events), type=dict[str, list[msgspec.Raw]])["events"]
    rows, rejected = validate_batch(raws, DEVICE, "site")
    assert [r.index for r in rejected] == [2] and len(rows) == 3


TEXT = st.text(alphabet="abcdefAZ019-_.:/ \n", max_size=12)
EDGES = {
    "zone": ["a", "x" * 64, "x" * 65, "room-1\n"],
    "visitor": ["ab12cd3", "0" * 64, "AB12CD34"],
    "session": ["ab12cd3", "0" * 64, "0" * 65],
    "artwork": [None, "", "art.1:b_c-d"],
    "language": [None, "deu", "pt-BR", "en-", "e"],
    "id": ["x", "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"],
}


@settings(max_examples=400, deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from(sorted(EDGES)),
        st.one_of(TEXT, st.none()),
        max_size=1,
    ),
    edge=st.sampled_from([(k, v) for k, values in EDGES.items() for v in values]),
)
def test_fast_and_strict_paths_agree(
    changes: dict[str, str | None], edge: tuple[str, str | None]
) -> None:
    # a valid batch with up to one field set at random and one set to an edge case
    fields = {**changes, edge[0]: edge[1]}
    visit_fields = {k: v for k, v in fields.items() if k in ("zone", "visitor", "id")}
    tap_fields = {k: v for k, v in fields.items() if k in ("session", "artwork", "language")}
    occupancy = {**_visit(**{k: v for k, v in visit_fields.items() if k == "zone"})}
    for key in ("visitor", "dwell_s", "samples"):
        occupancy.pop(key)
    events = [
        _visit(**visit_fields),
        _tap(**tap_fields),
        {**occupancy, "type": "occupancy", "count": 1, "peak": 2},
    ]
    fast = _rows_if_all_valid(_body(events), DEVICE, "site")
    raws = msgspec.json.decode(_body(events), type=dict[str, list[msgspec.Raw]])["events"]
    rows, rejected = validate_batch(raws, DEVICE, "site")
    if fast is not None:  # the fast path never takes what the strict one refuses
        assert not rejected
        assert fast == rows  # the same rows, field by field
        assert [r.type for r in fast] == ["visit", "interaction", "occupancy"]
    else:  # nor refuses what it takes
        assert rejected


@pytest.mark.parametrize("body", [r"[^x]{3}", r"\s+", r".{2}", r"a|\n", r"[\x00-\x7f]+", r"\D+"])
def test_a_pattern_that_could_match_a_newline_gets_no_batch_check(body: str) -> None:
    # joined by newlines, "a\nb" would pass as one value of such a pattern
    with pytest.raises(TypeError, match="might match a newline"):
        _bulk(whole(body))


def test_a_pattern_not_written_as_whole_gets_no_batch_check() -> None:
    with pytest.raises(TypeError, match="not written as whole"):
        _bulk(r"^[a-z]+$")


@pytest.mark.parametrize("value", ["room-1\n", "ab12cd34\n"])
def test_a_value_ending_in_a_newline_is_refused_by_both_paths(value: str) -> None:
    # re.search's '$' also matches before a final newline; the schema's patterns do not
    events = [_visit(zone=value) if value.startswith("room") else _visit(visitor=value)]
    assert _rows_if_all_valid(_body(events), DEVICE, "site") is None
    raws = msgspec.json.decode(_body(events), type=dict[str, list[msgspec.Raw]])["events"]
    assert [r.index for r in validate_batch(raws, DEVICE, "site")[1]] == [0]
