"""The bundle decoder never raises anything but ContentError, whatever the bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cimaise.errors import ContentError
from hub.content.bundle import (
    SourceArtwork,
    SourceBeacons,
    SourceExhibition,
    SourceZones,
    decode_file,
)
from hub.content.library import ContentLibrary
from hub.content.probe import probe_audio, probe_bytes
from tests.content.bundles import DEMO

KINDS = {
    "exhibition.json": SourceExhibition,
    "zones.json": SourceZones,
    "beacons.json": SourceBeacons,
    "artworks/halo.json": SourceArtwork,
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=5),
    max_leaves=30,
)


@pytest.mark.parametrize("file", list(KINDS))
@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_raise_only_content_error(file: str, data: bytes) -> None:
    try:
        decode_file(file, data, KINDS[file])
    except ContentError as exc:
        assert exc.file == file and exc.field.startswith("$")


@pytest.mark.parametrize("file", list(KINDS))
@settings(max_examples=150, deadline=None)
@given(value=json_values)
def test_random_json_raises_only_content_error(file: str, value: object) -> None:
    try:
        decode_file(file, json.dumps(value).encode(), KINDS[file])
    except ContentError as exc:
        assert exc.file == file


@pytest.mark.parametrize("file", list(KINDS))
@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=10_000))
def test_truncated_demo_files_are_refused(file: str, cut: int) -> None:
    data = (DEMO / file).read_bytes()
    decode_file(file, data, KINDS[file])  # the whole file is valid
    truncated = data[: cut % max(1, len(data.rstrip()) - 1)]
    with pytest.raises(ContentError):
        decode_file(file, truncated, KINDS[file])


def test_deep_nesting_is_refused_cleanly() -> None:
    with pytest.raises(ContentError):
        decode_file("zones.json", b"[" * 100_000, SourceZones)
    with pytest.raises(ContentError):
        decode_file("zones.json", b'{"zones":' + b"[" * 100_000, SourceZones)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_media_prober_never_raises(data: bytes) -> None:
    result = probe_bytes("media/x", data)
    assert isinstance(result, str) or result.sha256
    probe_audio(b"OggS" + data)


FIELDS = {
    "artworks/halo.json": ["id", "title", "artist", "date", "medium", "text", "alt", "image",
                           "audio", "zone", "themes", "published", "order"],
    "exhibition.json": ["id", "title", "languages", "default_language", "themes", "info"],
    "zones.json": ["zones"],
    "beacons.json": ["beacons"],
}


@pytest.fixture(scope="module")
def fuzz_library(tmp_path_factory: pytest.TempPathFactory) -> ContentLibrary:
    from tests.content.bundles import make_small_bundle

    root = tmp_path_factory.mktemp("fuzz")
    library = ContentLibrary(make_small_bundle(root / "bundle"), root / "cache")
    library.reload()
    return library


@settings(max_examples=60, deadline=None)
@given(file=st.sampled_from(sorted(FIELDS)), data=st.data(), value=json_values)
def test_any_field_set_to_any_value_is_refused_or_published_never_crashes(
    fuzz_library: ContentLibrary, file: str, data: st.DataObject, value: object
) -> None:
    good = fuzz_library.current
    path = fuzz_library.bundle_dir / file
    original = path.read_bytes()
    record = json.loads(original)
    record[data.draw(st.sampled_from(FIELDS[file]))] = value
    path.write_text(json.dumps(record), encoding="utf-8")
    try:
        fuzz_library.reload()
    except ContentError as exc:
        assert "cannot be loaded (" not in str(exc), exc  # a named problem, not a crash
        assert fuzz_library.current is good
    finally:
        path.write_bytes(original)
        fuzz_library.reload()
