"""The guide's pure parts: beacon matching, search, the pack's media, opt-in usage, prefs."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from beacon_agent.frames import (
    EddystoneUid,
    EddystoneUrl,
    IBeacon,
    encode_eddystone,
    encode_ibeacon,
)
from hub.client.manifest import (
    Artwork,
    Beacon,
    Exhibition,
    IBeaconId,
    Info,
    MediaRef,
    PublicPack,
)
from hub.client.manifest import (
    EddystoneUid as PackEddystone,
)
from phone import guide, pack
from phone.beacons import BeaconIndex

EDDYSTONE = "0000feaa-0000-1000-8000-00805f9b34fb"
UUID = "5c1a1e5a-9d3e-4b7a-8f21-6c0de0a2b1c3"


def ref(name: str, **variants: MediaRef) -> MediaRef:
    return MediaRef(sha256=name * 64, mime="image/jpeg", bytes=1, variants=variants)


BEACONS = [
    Beacon(
        id="t1",
        artwork="wave",
        ibeacon=IBeaconId(uuid=UUID, major=1, minor=1),
        eddystone_uid=PackEddystone(namespace="5c1a1e5a9d3e4b7a8f21", instance="000000000101"),
    ),
    Beacon(id="room", kind="agent", zone="z", ibeacon=IBeaconId(uuid=UUID, major=9, minor=9)),
]
PACK = PublicPack(
    version="v",
    exhibition=Exhibition(
        id="x",
        title={"fr": "Couleurs"},
        languages=["fr", "en"],
        default_language="fr",
        themes={"light": {"fr": "Lumière", "en": "Light"}},
    ),
    zones=[],
    artworks=[
        Artwork(
            id="wave",
            title={"fr": "La Vague", "en": "The Wave"},
            artist="Hokusai",
            date="1831",
            medium={"fr": "Estampe"},
            text={"fr": "…"},
            image=ref("a", phone=ref("b"), thumb=ref("c"), zoom=ref("d")),
            audio={"fr": ref("e")},
            themes=["light"],
        ),
        Artwork(
            id="ecole",
            title={"fr": "École de nuit"},
            artist="Anonyme",
            date="1900",
            medium={},
            text={},
            image=ref("f"),
        ),
    ],
    beacons=BEACONS,
    info=Info(map=ref("1", phone=ref("2"), zoom=ref("3"))),
)


def test_museum_beacons_match_by_ibeacon_and_eddystone_uid() -> None:
    index = BeaconIndex(BEACONS)
    ibeacon = encode_ibeacon(IBeacon(UUID.replace("-", ""), 1, 1, -59))
    assert index.match({0x004C: ibeacon}, {}) == "t1"
    uid = encode_eddystone(EddystoneUid("5c1a1e5a9d3e4b7a8f21", "000000000101", -20))
    assert index.match({}, {EDDYSTONE: uid}) == "t1"
    assert index.match({0x004C: encode_ibeacon(IBeacon(UUID.replace("-", ""), 9, 9, -59))}, {}) == (
        "room"
    )


def test_other_beacons_and_devices_match_nothing() -> None:
    index = BeaconIndex(BEACONS)
    other = encode_ibeacon(IBeacon("0" * 32, 1, 1, -59))
    assert index.match({0x004C: other}, {}) is None
    url = encode_eddystone(EddystoneUrl("https://example.org", -20))
    assert index.match({}, {EDDYSTONE: url}) is None
    assert index.match({0x0075: b"\x01\x02"}, {}) is None


@given(st.dictionaries(st.integers(0, 0xFFFF), st.binary(max_size=40), max_size=3))
def test_any_manufacturer_data_is_matched_or_dropped_never_raises(data: dict[int, bytes]) -> None:
    assert BeaconIndex(BEACONS).match(data, {}) in (None, "t1", "room")


def test_search_folds_accents_and_reads_themes() -> None:
    assert [a.id for a in guide.search(PACK, "ecole", "fr")] == ["ecole"]
    assert [a.id for a in guide.search(PACK, "lumiere", "fr")] == ["wave"]
    assert [a.id for a in guide.search(PACK, "wave light", "en")] == ["wave"]
    assert [a.id for a in guide.search(PACK, "", "fr")] == ["wave", "ecole"]


def test_phone_keeps_phone_images_thumbnails_audio_and_the_map_not_zoom_levels() -> None:
    wanted = {r.sha256[0] for r in pack.wanted_media(PACK)}
    assert wanted == {"b", "c", "e", "f", "2"}


def test_hub_base_url_from_the_entrance_qr_code() -> None:
    assert pack.hub_base_url("http://10.0.0.5:8080/guide/?lang=fr") == "http://10.0.0.5:8080"
    assert pack.hub_base_url("hub.local:8080") == "http://hub.local:8080"


def test_usage_is_recorded_only_after_opt_in_with_a_visit_only_session() -> None:
    usage = guide.VisitUsage()
    assert usage.note(False, "view_artwork", artwork="wave") is None
    assert usage.events == []
    event = usage.note(True, "view_artwork", artwork="wave", screen="near")
    assert event is not None and event.session == usage.session
    assert guide.VisitUsage().session != usage.session  # a new visit, a new random session
    usage.forget()
    assert usage.events == []


def test_prefs_survive_a_restart_and_sharing_is_off_by_default(tmp_path: Path) -> None:
    path = tmp_path / "prefs.json"
    assert guide.load_prefs(path).share_usage is False
    guide.save_prefs(path, guide.Prefs(welcomed=True, language="en", text_size=2))
    assert guide.load_prefs(path) == guide.Prefs(welcomed=True, language="en", text_size=2)
    path.write_text("{broken")
    assert guide.load_prefs(path) == guide.Prefs()


def test_cache_ignores_a_corrupt_pack_and_keeps_media_by_sha(tmp_path: Path) -> None:
    cache = pack.PackCache(tmp_path)
    assert cache.load() is None
    import msgspec

    stored = cache.store(msgspec.json.encode(PACK), '"v"')
    assert stored == PACK and cache.load() == PACK and cache.etag == '"v"'
    (tmp_path / pack.PACK_FILE).write_text("{")
    assert cache.load() is None


def test_views_read_the_pack_in_a_language_with_cached_files() -> None:
    from phone import views

    def local(ref: MediaRef | None) -> str:
        return f"/cache/{ref.sha256[0]}" if ref is not None else ""

    assert views.card(PACK, None, "en", local) == views.Card()
    assert views.card(PACK, "wave", "en", local) == views.Card(
        "wave", "The Wave", "Hokusai, 1831", "/cache/b"
    )
    assert views.row(PACK, "ecole", "en", local) == views.Row(
        "ecole", "École de nuit", "Anonyme, 1900", "/cache/f"
    )
    page = views.artwork_page(PACK, "wave", "en", local)
    assert page is not None
    # No English medium or audio: the exhibition's default language (French) stands in.
    assert (page.title, page.meta, page.audio) == ("The Wave", "Hokusai, 1831\nEstampe", "/cache/e")
    assert views.artwork_page(PACK, "missing", "en", local) is None
    assert views.info(PACK, "en").title == "Couleurs"
