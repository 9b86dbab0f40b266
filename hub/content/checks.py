"""Cross-checks of a decoded bundle: what a per-file schema cannot see.

Pure: given the decoded files and what the prober learnt about each media file,
return every problem found (file, field, problem), so a technician sees them all
at once instead of fixing one per reload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Literal

import msgspec

from cimaise.errors import ContentError
from hub.content.bundle import (
    BEACONS_FILE,
    EXHIBITION_FILE,
    ZONES_FILE,
    SourceBundle,
)

MediaKind = Literal["image", "audio"]
# problem(file, field, text): records one problem
_Reporter = Callable[[str, str, str], None]


class MediaInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What the prober learnt about one media file of the bundle."""

    path: str  # relative to the bundle, e.g. "media/wave.jpg"
    kind: MediaKind
    mime: str
    sha256: str
    bytes: int
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


class BundleProblems(ContentError):
    """Raised when a bundle has one or more problems; ``problems`` lists each of them.

    Its own file, field and problem are those of the first problem, so code that
    handles a plain ContentError still names the right place.
    """

    def __init__(self, problems: list[ContentError]) -> None:
        first = problems[0]
        super().__init__(first.file, first.field, first.problem)
        self.problems = problems
        if len(problems) > 1:
            shown = "; ".join(str(p) for p in problems[:20])
            more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
            self.args = (f"{len(problems)} problems in the content bundle: {shown}{more}",)


class MediaUse(msgspec.Struct, frozen=True, kw_only=True):
    """One place where a bundle file names a media file."""

    path: str
    kind: MediaKind
    file: str
    field: str


def media_uses(src: SourceBundle) -> list[MediaUse]:
    """Every reference to a media file in the bundle, in file order."""
    uses: list[MediaUse] = []
    if src.exhibition.info.map is not None:
        uses.append(MediaUse(path=src.exhibition.info.map, kind="image",
                             file=EXHIBITION_FILE, field="$.info.map"))
    for file, art in src.artworks.items():
        uses.append(MediaUse(path=art.image, kind="image", file=file, field="$.image"))
        for lang, path in art.audio.items():
            uses.append(MediaUse(path=path, kind="audio", file=file, field=f"$.audio.{lang}"))
    return uses


def check_bundle(
    src: SourceBundle, media: Mapping[str, MediaInfo | str]
) -> list[ContentError]:
    """Every cross-file problem of ``src``; ``media``: each used path -> its info or a problem."""
    problems: list[ContentError] = []
    ex = src.exhibition
    langs = list(ex.languages)

    def problem(file: str, field: str, text: str) -> None:
        problems.append(ContentError(file, field, text))

    def localized(file: str, field: str, value: Mapping[str, str], required: bool) -> None:
        for lang in value:
            if lang not in langs:
                problem(file, f"{field}.{lang}", f"language '{lang}' is not one of the "
                        f"exhibition's languages ({', '.join(langs)})")
        if required or value:
            missing = [lang for lang in langs if lang not in value]
            if missing:
                problem(file, field, f"missing text in {', '.join(missing)}")

    # exhibition.json
    if len(set(langs)) != len(langs):
        problem(EXHIBITION_FILE, "$.languages", "a language is listed twice")
    if ex.default_language not in langs:
        problem(EXHIBITION_FILE, "$.default_language",
                f"'{ex.default_language}' is not in languages ({', '.join(langs)})")
    localized(EXHIBITION_FILE, "$.title", ex.title, True)
    localized(EXHIBITION_FILE, "$.subtitle", ex.subtitle, False)
    for theme, names in ex.themes.items():
        localized(EXHIBITION_FILE, f"$.themes.{theme}", names, True)
    for key in ex.credits:
        if key not in langs:
            problem(EXHIBITION_FILE, f"$.credits.{key}", f"language '{key}' is not one of "
                    "the exhibition's languages")
    localized(EXHIBITION_FILE, "$.info.hours", ex.info.hours, False)
    localized(EXHIBITION_FILE, "$.info.accessibility", ex.info.accessibility, False)
    for i, event in enumerate(ex.info.events):
        localized(EXHIBITION_FILE, f"$.info.events[{i}].title", event.title, True)
        localized(EXHIBITION_FILE, f"$.info.events[{i}].text", event.text, False)

    # zones.json
    zone_ids: set[str] = set()
    for i, zone in enumerate(src.zones.zones):
        where = f"$.zones[{i}]"
        if zone.id in zone_ids:
            problem(ZONES_FILE, f"{where}.id", f"zone id '{zone.id}' is used twice")
        zone_ids.add(zone.id)
        localized(ZONES_FILE, f"{where}.name", zone.name, True)
        if zone.exit_rssi >= zone.enter_rssi:
            problem(ZONES_FILE, f"{where}.exit_rssi", f"must be below enter_rssi "
                    f"({zone.enter_rssi}), or visitors would flicker in and out")

    # artworks/<id>.json
    artwork_ids: set[str] = set()
    for file, art in src.artworks.items():
        expected = file.rsplit("/", 1)[-1].removesuffix(".json")
        if art.id != expected:
            problem(file, "$.id", f"'{art.id}' does not match the file name ('{expected}')")
        if art.id in artwork_ids:
            problem(file, "$.id", f"artwork id '{art.id}' is used twice")
        artwork_ids.add(art.id)
        if art.zone is not None and art.zone not in zone_ids:
            problem(file, "$.zone", f"no zone '{art.zone}' in {ZONES_FILE}")
        for i, theme in enumerate(art.themes):
            if theme not in ex.themes:
                problem(file, f"$.themes[{i}]", f"no theme '{theme}' in {EXHIBITION_FILE}")
        localized(file, "$.title", art.title, True)
        localized(file, "$.medium", art.medium, True)
        localized(file, "$.text", art.text, True)
        localized(file, "$.alt", art.alt, True)
        for lang in art.audio:
            if lang not in langs:
                problem(file, f"$.audio.{lang}", f"language '{lang}' is not one of the "
                        "exhibition's languages")

    # beacons.json
    _check_beacons(src, zone_ids, artwork_ids, problem)

    # media files
    for use in media_uses(src):
        info = media.get(use.path, "file not found")
        if isinstance(info, str):
            problem(use.file, use.field, f"{use.path}: {info}")
        elif info.kind != use.kind:
            problem(use.file, use.field, f"{use.path} is {info.kind} ({info.mime}), "
                    f"expected {use.kind}")
    return problems


def _check_beacons(
    src: SourceBundle,
    zone_ids: set[str],
    artwork_ids: set[str],
    problem: _Reporter,
) -> None:
    ids: set[str] = set()
    ibeacons: dict[tuple[str, int, int], str] = {}
    eddystones: dict[tuple[str, str], str] = {}
    for i, beacon in enumerate(src.beacons.beacons):
        where = f"$.beacons[{i}]"
        if beacon.id in ids:
            problem(BEACONS_FILE, f"{where}.id", f"beacon id '{beacon.id}' is used twice")
        ids.add(beacon.id)
        if beacon.ibeacon is None and beacon.eddystone_uid is None:
            problem(BEACONS_FILE, where, "a beacon needs an ibeacon or an eddystone_uid identity")
        if beacon.ibeacon is not None:
            key = (beacon.ibeacon.uuid.lower(), beacon.ibeacon.major, beacon.ibeacon.minor)
            if key in ibeacons:
                problem(BEACONS_FILE, f"{where}.ibeacon", f"same iBeacon identity as "
                        f"beacon '{ibeacons[key]}'")
            ibeacons.setdefault(key, beacon.id)
        if beacon.eddystone_uid is not None:
            ekey = (beacon.eddystone_uid.namespace.lower(), beacon.eddystone_uid.instance.lower())
            if ekey in eddystones:
                problem(BEACONS_FILE, f"{where}.eddystone_uid", f"same Eddystone-UID as "
                        f"beacon '{eddystones[ekey]}'")
            eddystones.setdefault(ekey, beacon.id)
        if beacon.artwork is not None and beacon.artwork not in artwork_ids:
            problem(BEACONS_FILE, f"{where}.artwork", f"no artwork '{beacon.artwork}' "
                    "in artworks/")
        if beacon.zone is not None and beacon.zone not in zone_ids:
            problem(BEACONS_FILE, f"{where}.zone", f"no zone '{beacon.zone}' in {ZONES_FILE}")
        if beacon.kind == "agent" and beacon.zone is None:
            problem(BEACONS_FILE, f"{where}.zone", "a beacon agent's identity needs its zone")
        if beacon.kind == "fixed" and beacon.artwork is None and beacon.zone is None:
            problem(BEACONS_FILE, where, "a fixed tag needs the artwork or zone it stands by")


def raise_problems(problems: Iterable[ContentError]) -> None:
    """Raise BundleProblems when there is at least one problem."""
    found = list(problems)
    if found:
        raise BundleProblems(found)
