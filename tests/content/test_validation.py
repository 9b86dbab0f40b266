"""A bad bundle is refused with its file, field and problem named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cimaise.errors import ContentError
from hub.content.checks import BundleProblems
from hub.content.library import ContentLibrary
from tests.content.bundles import edit_json, read_json, write_json

ART = "artworks/halo.json"


def _refusal(library: ContentLibrary) -> ContentError:
    with pytest.raises(ContentError) as caught:
        library.reload()
    return caught.value


def test_wrong_type_names_file_and_json_path(bundle: Path, library: ContentLibrary) -> None:
    data = read_json(bundle, ART)
    data["title"]["en"] = 42
    write_json(bundle, ART, data)
    error = _refusal(library)
    assert error.file == ART
    assert error.field.startswith("$.title")
    assert "Expected `str`, got `int`" in error.problem
    assert ART in str(error)


def test_misspelt_field_is_refused(bundle: Path, library: ContentLibrary) -> None:
    data = read_json(bundle, ART)
    data["titel"] = data.pop("title")
    write_json(bundle, ART, data)
    error = _refusal(library)
    assert error.file == ART
    assert "titel" in error.problem or "title" in error.problem


def test_malformed_json_is_named(bundle: Path, library: ContentLibrary) -> None:
    (bundle / "zones.json").write_text('{"zones": [', encoding="utf-8")
    error = _refusal(library)
    assert (error.file, error.field) == ("zones.json", "$")
    assert "truncated" in error.problem


def _set_art(field: str, value: object) -> Callable[[Path], None]:
    return lambda b: edit_json(b, ART, **{field: value})


def _drop_language(b: Path) -> None:
    data = read_json(b, ART)
    del data["text"]["de"]
    write_json(b, ART, data)


def _duplicate_beacon(b: Path) -> None:
    data = read_json(b, "beacons.json")
    data["beacons"][1]["id"] = data["beacons"][0]["id"]
    write_json(b, "beacons.json", data)


def _same_ibeacon(b: Path) -> None:
    data = read_json(b, "beacons.json")
    data["beacons"][1]["ibeacon"] = data["beacons"][0]["ibeacon"]
    write_json(b, "beacons.json", data)


def _beacon_to_nowhere(b: Path) -> None:
    data = read_json(b, "beacons.json")
    data["beacons"][2]["artwork"] = "no-such-artwork"
    write_json(b, "beacons.json", data)


def _thresholds_upside_down(b: Path) -> None:
    data = read_json(b, "zones.json")
    data["zones"][0]["exit_rssi"] = -60
    write_json(b, "zones.json", data)


def _default_language_not_offered(b: Path) -> None:
    edit_json(b, "exhibition.json", default_language="es")


def _text_file_as_image(b: Path) -> None:
    (b / "media" / "halo.jpg").write_text("not an image at all", encoding="utf-8")


def _truncated_image(b: Path) -> None:
    data = (b / "media" / "halo.jpg").read_bytes()
    (b / "media" / "halo.jpg").write_bytes(data[: len(data) // 2])


def _id_not_file_name(b: Path) -> None:
    edit_json(b, ART, id="halo-2")


def _instance_with_a_newline(b: Path) -> None:
    data = read_json(b, "beacons.json")
    data["beacons"][0]["eddystone_uid"]["instance"] += "\n"  # bytes.fromhex would ignore it
    write_json(b, "beacons.json", data)


def _date_in_other_digits(b: Path) -> None:
    data = read_json(b, "exhibition.json")
    data["info"]["events"][0]["date"] = "\u0662\u0660\u0662\u0666-12-05"  # Arabic-Indic
    write_json(b, "exhibition.json", data)


CASES: dict[str, tuple[Callable[[Path], None], str, str, str]] = {
    # name: (break the bundle, file, field prefix, words of the problem)
    "unknown zone": (_set_art("zone", "zone-z"), ART, "$.zone", "no zone 'zone-z'"),
    "unknown theme": (_set_art("themes", ["sound"]), ART, "$.themes[0]", "no theme"),
    "missing image": (_set_art("image", "media/nope.jpg"), ART, "$.image", "not found"),
    "audio as image": (_set_art("image", "media/terre-de-sienne.fr.ogg"), ART, "$.image",
                       "expected image"),
    "text as image": (_text_file_as_image, ART, "$.image", "neither an image"),
    "half an image": (_truncated_image, ART, "$.image", "image"),
    "path escapes": (_set_art("image", "media/../exhibition.json"), ART, "$.image",
                     "matching regex"),
    "id with a newline": (_set_art("zone", "zone-a\n"), ART, "$.zone", "matching regex"),
    "instance with a newline": (_instance_with_a_newline, "beacons.json",
                                "$.beacons[0].eddystone_uid.instance", "matching regex"),
    "date in other digits": (_date_in_other_digits, "exhibition.json",
                             "$.info.events[0].date", "matching regex"),
    "missing language": (_drop_language, ART, "$.text", "missing text in de"),
    "extra language": (_set_art("alt", {"fr": "a", "en": "b", "de": "c", "it": "d"}), ART,
                       "$.alt.it", "not one of the exhibition's languages"),
    "id is not file name": (_id_not_file_name, ART, "$.id", "does not match the file name"),
    "duplicate beacon id": (_duplicate_beacon, "beacons.json", "$.beacons[1].id",
                            "used twice"),
    "duplicate iBeacon": (_same_ibeacon, "beacons.json", "$.beacons[1].ibeacon",
                          "same iBeacon identity"),
    "beacon to nowhere": (_beacon_to_nowhere, "beacons.json", "$.beacons[2].artwork",
                          "no artwork 'no-such-artwork'"),
    "thresholds": (_thresholds_upside_down, "zones.json", "$.zones[0].exit_rssi",
                   "below enter_rssi"),
    "default language": (_default_language_not_offered, "exhibition.json",
                         "$.default_language", "not in languages"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_problem_names_file_field_and_problem(
    case: str, bundle: Path, library: ContentLibrary
) -> None:
    breaks, file, field, words = CASES[case]
    breaks(bundle)
    error = _refusal(library)
    problems = error.problems if isinstance(error, BundleProblems) else [error]
    assert any(
        p.file == file and p.field.startswith(field) and words in p.problem for p in problems
    ), [str(p) for p in problems]


def test_every_problem_is_reported_at_once(bundle: Path, library: ContentLibrary) -> None:
    _set_art("zone", "zone-z")(bundle)
    _thresholds_upside_down(bundle)
    _duplicate_beacon(bundle)
    error = _refusal(library)
    assert isinstance(error, BundleProblems)
    assert {p.file for p in error.problems} >= {ART, "zones.json", "beacons.json"}
    assert "3 problems" in str(error)


def test_missing_bundle_folder_is_a_content_error(tmp_path: Path) -> None:
    library = ContentLibrary(tmp_path / "nothing-here", tmp_path / "cache")
    error = _refusal(library)
    assert "not found" in error.problem
    assert library.current is None
    assert library.last_error is error


def test_media_outside_the_bundle_is_refused(
    bundle: Path, library: ContentLibrary, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (bundle / "media" / "halo.jpg").rename(outside / "halo.jpg")
    (bundle / "media" / "linked").symlink_to(outside)
    _set_art("image", "media/linked/halo.jpg")(bundle)
    error = _refusal(library)
    problems = error.problems if isinstance(error, BundleProblems) else [error]
    assert any(p.file == ART and "outside the bundle" in p.problem for p in problems)
