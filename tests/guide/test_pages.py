"""The mobile guide's pages: languages, escaping, short links, errors, no tracking."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.content.library import ContentLibrary
from tests.content.bundles import edit_json
from tests.guide.conftest import ClientFactory, guide_app

Client = TestClient[web.Request, web.Application]
ART = "artworks/halo.json"


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)">', html)
    assert match, html[:200]
    return match[1]


async def test_home_renders_in_the_browser_language(client: Client) -> None:
    english = await client.get("/guide/", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert english.status == 200
    html = await english.text()
    assert _lang(html) == "en"
    assert "Fields of Colour" in html and "Room B — Materials" in html
    assert "Dawn over the Lagoon" in html

    french = await client.get("/guide/", headers={"Accept-Language": "fr-CH, fr;q=0.9"})
    html = await french.text()
    assert _lang(html) == "fr"
    assert "Champs de couleur" in html and "Salle B — Matières" in html
    assert "Aube sur la lagune" in html


async def test_unknown_browser_language_gets_the_exhibition_default(client: Client) -> None:
    response = await client.get("/guide/", headers={"Accept-Language": "ja, ko;q=0.8"})
    assert _lang(await response.text()) == "fr"


async def test_chosen_language_sticks_through_a_cookie(client: Client) -> None:
    chosen = await client.get("/guide/?lang=de", headers={"Accept-Language": "en"})
    assert _lang(await chosen.text()) == "de"
    assert chosen.cookies["cimaise_lang"].value == "de"
    later = await client.get("/guide/info", headers={"Accept-Language": "en"})
    html = await later.text()
    assert _lang(html) == "de"
    assert "Öffnungszeiten" in html


async def test_every_page_offers_the_language_switch(client: Client) -> None:
    for path in ("/guide/", "/guide/artworks/halo", "/guide/info", "/guide/artworks/nope"):
        html = await (await client.get(path)).text()
        for code, name in (("fr", "Français"), ("en", "English"), ("de", "Deutsch")):
            assert f'href="{path}?lang={code}" lang="{code}"' in html
            assert name in html
        assert 'class="skip" href="#main"' in html
        assert '<main id="main"' in html


async def test_artwork_page_shows_phone_image_text_and_audio(
    client: Client, library: ContentLibrary
) -> None:
    content = library.current
    assert content is not None
    art = content.artwork("terre-de-sienne")
    assert art is not None
    response = await client.get("/guide/artworks/terre-de-sienne?lang=en")
    html = await response.text()
    phone = art.image.variants["phone"]
    assert (f'<img src="/api/v1/media/{phone.sha256}" width="{phone.width}" '
            f'height="{phone.height}" alt="{art.alt["en"]}" loading="lazy"') in html
    assert f'/api/v1/media/{art.audio["en"].sha256}' in html
    assert "<h1>Raw Sienna</h1>" in html
    assert "Nour Haddad, 2020" in html
    assert html.count("<p>") >= 2  # the text's paragraphs


async def test_title_with_html_is_shown_escaped(
    aiohttp_client: ClientFactory, bundle: Path, library: ContentLibrary
) -> None:
    evil = '<script>alert("x")</script><b>Halo</b>'
    edit_json(bundle, ART, title={"fr": evil, "en": evil, "de": evil}, artist="<i>A</i> & B")
    library.reload()
    client = await aiohttp_client(guide_app(library))
    for path in ("/guide/", "/guide/artworks/halo"):
        html = await (await client.get(path)).text()
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;Halo&lt;/b&gt;" in html
        assert "<script" not in html and "<b>Halo" not in html
        assert "&lt;i&gt;A&lt;/i&gt; &amp; B" in html


async def test_unknown_artwork_gets_a_friendly_404_page(client: Client) -> None:
    response = await client.get("/guide/artworks/nope", headers={"Accept-Language": "fr"})
    assert response.status == 404
    assert response.content_type == "text/html"
    html = await response.text()
    assert "Page introuvable" in html and 'href="/guide/"' in html


async def test_unpublished_artwork_is_nowhere_in_the_guide(
    aiohttp_client: ClientFactory, bundle: Path, library: ContentLibrary
) -> None:
    edit_json(bundle, ART, published=False)
    library.reload()
    client = await aiohttp_client(guide_app(library))
    assert (await client.get("/guide/artworks/halo")).status == 404
    home = await (await client.get("/guide/?lang=en")).text()
    assert "/guide/artworks/halo" not in home and "Halo" not in home
    # its label's short link still lands somewhere useful, without showing it
    response = await client.get("/b/t03", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/guide/#room-zone-a"


async def test_beacon_link_redirects_to_its_artwork(client: Client) -> None:
    response = await client.get("/b/t05", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/guide/artworks/terre-de-sienne"
    upper = await client.get("/b/T05", allow_redirects=False)
    assert upper.headers["Location"] == "/guide/artworks/terre-de-sienne"
    followed = await client.get("/b/t05?lang=de")
    assert followed.status == 200
    assert "<h1>Siena-Erde</h1>" in await followed.text()


async def test_agent_beacon_link_leads_to_its_room(client: Client) -> None:
    response = await client.get("/b/salle-b", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/guide/#room-zone-b"
    home = await (await client.get("/guide/")).text()
    assert 'id="room-zone-b"' in home


async def test_unknown_beacon_gets_the_404_page(client: Client) -> None:
    response = await client.get("/b/nothing-here", headers={"Accept-Language": "en"})
    assert response.status == 404
    assert "Page not found" in await response.text()


async def test_guide_says_so_while_no_content_is_published(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    client = await aiohttp_client(guide_app(ContentLibrary(tmp_path / "none", tmp_path / "c")))
    for path in ("/guide/", "/guide/artworks/halo", "/guide/info", "/b/t01"):
        response = await client.get(path, headers={"Accept-Language": "en"})
        assert response.status == 503
        assert "The guide is not available" in await response.text()


async def test_info_page_lists_hours_accessibility_map_and_events(client: Client) -> None:
    html = await (await client.get("/guide/info?lang=en")).text()
    for words in ("Opening hours", "Tuesday to Sunday", "Accessibility", "wheelchair",
                  "Galerie Cimaise", "Floor plan of the gallery", "Family workshop",
                  '<time datetime="2026-12-12T14:00">'):
        assert words in html, words


async def test_pages_load_nothing_from_elsewhere_and_run_no_script(client: Client) -> None:
    for path in ("/guide/", "/guide/artworks/aube-sur-la-lagune", "/guide/info"):
        response = await client.get(path)
        html = await response.text()
        assert "<script" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html), path
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert len(html.encode()) < 40_000  # small enough for a phone on museum Wi-Fi


async def test_list_images_are_lazy_and_sized(client: Client) -> None:
    html = await (await client.get("/guide/")).text()
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 12
    for tag in images:
        assert 'loading="lazy"' in tag and re.search(r'width="\d+" height="\d+"', tag)
        assert 'alt=""' in tag  # the link's text already names the artwork


async def test_guide_without_slash_redirects(client: Client) -> None:
    response = await client.get("/guide?lang=en", allow_redirects=False)
    assert response.status == 301
    assert response.headers["Location"] == "/guide/?lang=en"


async def test_a_failing_page_is_still_an_html_page(
    client: Client, library: ContentLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hub.guide.routes as guide_routes

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("template exploded")

    monkeypatch.setattr(guide_routes, "render", broken)
    response = await client.get("/guide/artworks/halo")
    assert response.status == 500
    assert response.content_type == "text/html"
    html = await response.text()
    assert "Something went wrong" in html and "exploded" not in html
