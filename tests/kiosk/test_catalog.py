"""Reading the exhibition for the screens: rooms, themes, search, languages."""

from __future__ import annotations

from kiosk import catalog
from tests.kiosk.exhibition import build_exhibition

MANIFEST, _, _ = build_exhibition()


def test_rooms_group_artworks_in_zone_order() -> None:
    sections = catalog.by_room(MANIFEST, "fr")
    assert [s.title for s in sections] == ["Salle 1 · La côte", "Salle 2 · Jardins"]
    assert [a.id for a in sections[0].artworks] == ["wave", "harvest"]


def test_themes_list_an_artwork_under_each_of_its_themes() -> None:
    sections = {s.key: [a.id for a in s.artworks] for s in catalog.by_theme(MANIFEST, "en")}
    assert sections["light"] == ["wave", "garden"]
    assert sections["sea"] == ["wave", "dusk"]


def test_search_ignores_case_and_accents_and_matches_any_language_title() -> None:
    assert [a.id for a in catalog.search(MANIFEST, "elise", "en")] == ["garden"]
    assert [a.id for a in catalog.search(MANIFEST, "VAGUE", "en")] == ["wave"]
    assert catalog.search(MANIFEST, "   ", "en") == []


def test_search_puts_title_matches_before_other_matches() -> None:
    ids = [a.id for a in catalog.search(MANIFEST, "18", "en")]
    assert set(ids) == {"wave", "harvest", "garden"}


def test_text_falls_back_to_default_then_any_language() -> None:
    assert catalog.text({"fr": "a", "en": "b"}, "de", "en") == "b"
    assert catalog.text({"fr": "a"}, "de", "en") == "a"
    assert catalog.text({}, "de", "en") == ""


def test_kiosk_media_takes_the_image_sizes_not_the_original() -> None:
    wanted = {r.sha256 for r in catalog.kiosk_media(MANIFEST)}
    wave = MANIFEST.artworks[0]
    assert wave.image.sha256 not in wanted
    assert {v.sha256 for v in wave.image.variants.values()} <= wanted
    assert wave.audio["en"].sha256 in wanted


def test_unpublished_artworks_are_never_shown() -> None:
    import msgspec

    hidden = msgspec.structs.replace(MANIFEST.artworks[0], published=False)
    manifest = msgspec.structs.replace(MANIFEST, artworks=[hidden, *MANIFEST.artworks[1:]])
    assert catalog.find(manifest, "wave") is None
    assert "wave" not in [a.id for s in catalog.by_room(manifest, "en") for a in s.artworks]


def test_event_dates_read_as_day_and_time() -> None:
    assert catalog.event_date("2026-12-05T15:00") == "2026-12-05  15:00"
    assert catalog.event_date("2026-12-05T15:00:00Z") == "2026-12-05  15:00"
    assert catalog.event_date("2026-12-05") == "2026-12-05"


def test_audio_description_in_the_visitors_language_else_the_first() -> None:
    wave = MANIFEST.artworks[0]
    assert catalog.audio_for(wave, "en") == wave.audio["en"]
    assert catalog.audio_for(wave, "fr") == wave.audio["en"]
    assert catalog.audio_for(MANIFEST.artworks[1], "en") is None


def test_take_it_home_link_is_the_fixed_tag_else_the_guide_page_on_the_kiosks_hub() -> None:
    base = "http://hub.local:8080/"
    assert catalog.artwork_link(MANIFEST, "harvest", base) == "http://hub.local:8080/b/h1"
    # the room's agent beacon names no artwork: the wave's link is its guide page
    assert catalog.artwork_link(MANIFEST, "wave", base) == (
        "http://hub.local:8080/guide/artworks/wave"
    )
    assert catalog.artwork_link(MANIFEST, "harvest", "") == ""  # no hub known: no code


def test_take_it_home_qr_decodes_to_its_link() -> None:
    import io

    from PIL import Image
    from pyzbar.pyzbar import ZBarSymbol, decode

    from kiosk.qr import qr_png

    link = "http://hub.local:8080/b/h1"
    found = decode(Image.open(io.BytesIO(qr_png(link))), symbols=[ZBarSymbol.QRCODE])
    assert [f.data.decode() for f in found] == [link]
