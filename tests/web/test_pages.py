"""The page over HTTP against a real hub app: accounts, CSRF, devices, content, analytics."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from aiohttp.test_utils import TestClient

from hub.client.events import new_event_id, utc_now
from hub.keys import CONTENT, SETTINGS
from tests.web.conftest import PASSWORD, USER, login


async def test_wrong_password_is_refused_and_right_one_opens_a_session(
    hub_client: TestClient,
) -> None:
    page = await (await hub_client.get("/admin/login")).text()
    token = re.search(r'name="login_token" value="([^"]+)"', page)
    assert token
    bad = await hub_client.post("/admin/login", data={
        "user": USER, "password": "not it", "login_token": token.group(1)}, allow_redirects=False)
    assert bad.status == 401
    assert "Wrong user name or password" in await bad.text()
    assert (await hub_client.get("/admin/", allow_redirects=False)).status == 303
    await login(hub_client)
    cookie = hub_client.session.cookie_jar.filter_cookies(hub_client.make_url("/admin/"))
    assert "cimaise_session" in cookie


async def test_session_cookie_is_httponly_and_strict(hub_client: TestClient) -> None:
    page = await (await hub_client.get("/admin/login")).text()
    token = re.search(r'name="login_token" value="([^"]+)"', page)
    assert token
    resp = await hub_client.post("/admin/login", data={
        "user": USER, "password": PASSWORD, "login_token": token.group(1)}, allow_redirects=False)
    header = resp.headers.getall("Set-Cookie")
    session = next(h for h in header if h.startswith("cimaise_session="))
    assert "HttpOnly" in session and "SameSite=Strict" in session


async def test_login_attempts_are_rate_limited(hub_client: TestClient) -> None:
    statuses = []
    for _ in range(7):
        page = await (await hub_client.get("/admin/login")).text()
        token = re.search(r'name="login_token" value="([^"]+)"', page)
        assert token
        resp = await hub_client.post("/admin/login", data={
            "user": USER, "password": "guess", "login_token": token.group(1)})
        statuses.append(resp.status)
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
    assert resp.headers["Retry-After"]


async def test_login_form_without_its_token_is_refused(hub_client: TestClient) -> None:
    resp = await hub_client.post("/admin/login", data={"user": USER, "password": PASSWORD})
    assert resp.status == 403


async def test_a_post_without_the_csrf_token_is_refused(hub_client: TestClient) -> None:
    await login(hub_client)
    resp = await hub_client.post("/admin/devices/pair", data={"kind": "kiosk", "name": "x"})
    assert resp.status == 403
    assert "Form refused" in await resp.text()
    wrong = await hub_client.post("/admin/devices/pair",
                                  data={"kind": "kiosk", "name": "x", "csrf": "forged"})
    assert wrong.status == 403


async def test_pairing_enrolling_and_revoking_a_device(hub_client: TestClient) -> None:
    csrf = await login(hub_client)
    resp = await hub_client.post("/admin/devices/pair",
                                 data={"kind": "kiosk", "name": "Room 2 kiosk", "zone": "",
                                       "csrf": csrf})
    page = await resp.text()
    assert resp.status == 200
    code = re.search(r'id="pairing-code">([^<]+)<', page)
    assert code and "<svg" in page
    enrolled = await hub_client.post("/api/v1/devices/enroll", json={
        "code": code.group(1), "kind": "kiosk", "name": "Room 2 kiosk"})
    assert enrolled.status == 201
    body = await enrolled.json()
    auth = {"Authorization": f"Bearer {body['token']}"}
    beat = await hub_client.post("/api/v1/devices/heartbeat", json={"version": "1.2"},
                                 headers=auth)
    assert beat.status == 200
    table = await (await hub_client.get("/admin/devices/table")).text()
    row = re.search(rf'data-device="{body["device_id"]}".*?</tr>', table, re.S)
    assert row and "status-online" in row.group(0) and "1.2" in row.group(0)
    revoke = await hub_client.post(f"/admin/devices/{body['device_id']}/revoke",
                                   data={"csrf": csrf})
    assert revoke.status == 200
    after = await hub_client.post("/api/v1/devices/heartbeat", json={}, headers=auth)
    assert after.status == 401


async def test_events_ingested_over_the_api_show_in_charts_and_csv(hub_client: TestClient) -> None:
    csrf = await login(hub_client)
    page = await (await hub_client.post("/admin/devices/pair", data={
        "kind": "beacon", "name": "agent", "zone": "", "csrf": csrf})).text()
    code = re.search(r'id="pairing-code">([^<]+)<', page)
    assert code
    token = (await (await hub_client.post("/api/v1/devices/enroll", json={
        "code": code.group(1), "kind": "beacon", "name": "agent"})).json())["token"]
    now = utc_now() - timedelta(hours=1)
    events = []
    for i in range(6):
        start = now + timedelta(seconds=i)
        end = start + timedelta(seconds=40)
        events.append({"id": new_event_id(), "type": "visit", "ts": end.isoformat(),
                       "zone": "z1", "visitor": f"{i:016x}", "start": start.isoformat(),
                       "end": end.isoformat(), "dwell_s": 40.0, "samples": 5})
    resp = await hub_client.post("/api/v1/events", json={"events": events},
                                 headers={"Authorization": f"Bearer {token}"})
    assert (await resp.json())["accepted"] == 6
    again = await hub_client.post("/api/v1/events", json={"events": events},
                                  headers={"Authorization": f"Bearer {token}"})
    assert (await again.json())["duplicates"] == 6
    html = await (await hub_client.get("/admin/analytics")).text()
    data = json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert sum(r[2] for r in data["visitors"]["rows"]) == 6  # duplicates not counted twice
    assert [r[3] for r in data["dwell"]["rows"]] == [6]
    csv = await hub_client.get("/admin/analytics/dwell.csv")
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert (await csv.text()).splitlines() == ["zone,bucket,dwell,visits", "z1,2,30-60 s,6"]
    live = await (await hub_client.get("/admin/overview/live")).text()
    assert re.search(r'id="visitors-today">6<', live)


async def test_editing_an_artwork_text_publishes_it_and_html_stays_text(
    hub_client: TestClient,
) -> None:
    csrf = await login(hub_client)
    library = hub_client.app[CONTENT]
    artwork = library.current.manifest.artworks[0]
    form_page = await (await hub_client.get(f"/admin/content/artworks/{artwork.id}")).text()
    fields = dict(re.findall(r'name="([a-z]+\.[a-z]{2})" lang="[a-z]+" value="([^"]*)"', form_page))
    form = {k: v for k, v in fields.items()}
    for name, text in re.findall(r'name="([a-z]+\.[a-z]{2})" lang="[a-z]+"[^>]*>([^<]*)</textarea>',
                                 form_page):
        form[name] = text
    title = '<b onmouseover="x()">Halo</b> & co'
    lang = library.current.manifest.exhibition.default_language
    form.update({"csrf": csrf, "artist": artwork.artist, "date": artwork.date, "published": "1",
                 f"title.{lang}": title, f"text.{lang}": "A new text for the room."})
    resp = await hub_client.post(f"/admin/content/artworks/{artwork.id}", data=form)
    page = await resp.text()
    assert resp.status == 200, page
    assert "Saved and published" in page
    published = library.current.artwork(artwork.id)
    assert published.title[lang] == title
    assert published.text[lang] == "A new text for the room."
    # the packaged demo is never written: the edit went to a copy in the data folder
    assert library.bundle_dir == hub_client.app[SETTINGS].data / "content"
    listing = await (await hub_client.get("/admin/content")).text()
    assert "&lt;b onmouseover=&#34;x()&#34;&gt;Halo&lt;/b&gt; &amp; co" in listing
    assert "<b onmouseover" not in listing


async def test_a_bad_edit_shows_the_problem_next_to_its_field(hub_client: TestClient) -> None:
    csrf = await login(hub_client)
    library = hub_client.app[CONTENT]
    artwork = library.current.manifest.artworks[0]
    version = library.current.etag
    resp = await hub_client.post(f"/admin/content/artworks/{artwork.id}", data={
        "csrf": csrf, "artist": "", "date": artwork.date, "published": "1"})
    page = await resp.text()
    assert resp.status == 400
    assert 'id="err-artist"' in page
    assert library.current.etag == version  # nothing published


async def test_kiosk_screenshot_is_asked_for_and_shown(hub_client: TestClient) -> None:
    import io

    from PIL import Image

    csrf = await login(hub_client)
    page = await (await hub_client.post("/admin/devices/pair", data={
        "kind": "kiosk", "name": "Kiosk A", "zone": "", "csrf": csrf})).text()
    code = re.search(r'id="pairing-code">([^<]+)<', page)
    assert code
    body = await (await hub_client.post("/api/v1/devices/enroll", json={
        "code": code.group(1), "kind": "kiosk", "name": "Kiosk A"})).json()
    auth = {"Authorization": f"Bearer {body['token']}"}
    reply = await (await hub_client.post("/api/v1/devices/heartbeat", json={},
                                         headers=auth)).json()
    assert not reply["screenshot_requested"]
    asked = await hub_client.post(f"/admin/devices/{body['device_id']}/screenshot",
                                  data={"csrf": csrf})
    assert "comes with its next heartbeat" in await asked.text()
    reply = await (await hub_client.post("/api/v1/devices/heartbeat", json={},
                                         headers=auth)).json()
    assert reply["screenshot_requested"]
    png = io.BytesIO()
    Image.new("RGB", (80, 60), (0, 90, 200)).save(png, "PNG")
    sent = await hub_client.post("/api/v1/devices/screenshot", data=png.getvalue(),
                                 headers={**auth, "Content-Type": "image/png"})
    assert sent.status in (200, 201, 204)
    table = await (await hub_client.get("/admin/devices/table")).text()
    assert f'src="/admin/devices/{body["device_id"]}/screenshot.png"' in table
    shot = await hub_client.get(f"/admin/devices/{body['device_id']}/screenshot.png")
    assert shot.status == 200 and await shot.read() == png.getvalue()
