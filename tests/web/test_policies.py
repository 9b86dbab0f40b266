"""Pure parts of the page: warnings, the settings form, CSV safety."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.web.analytics import Chart
from hub.web.health import BeaconHealthRow, DeviceRow, device_status, warnings
from hub.web.settings_form import parse_settings_form

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def stamp(delta: timedelta) -> str:
    return (NOW - delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def device(name: str, seen: timedelta | None, revoked: bool = False) -> DeviceRow:
    return DeviceRow(name, "kiosk", name, None, None if seen is None else stamp(seen), None, None,
                     "x" if revoked else None)


def test_device_status_follows_the_last_call() -> None:
    assert device_status(stamp(timedelta(seconds=30)), None, NOW) == "online"
    assert device_status(stamp(timedelta(minutes=5)), None, NOW) == "offline"
    assert device_status(None, None, NOW) == "never"
    assert device_status(stamp(timedelta(0)), "2026-01-01T00:00:00Z", NOW) == "revoked"


def test_warnings_name_silent_devices_low_batteries_and_failing_sync() -> None:
    out = warnings(
        [device("a", timedelta(minutes=3)), device("b", timedelta(hours=3)),
         device("c", timedelta(days=3), revoked=True)],
        [BeaconHealthRow("t01", stamp(timedelta(minutes=1)), 2300),
         BeaconHealthRow("t02", stamp(timedelta(hours=2)), 3000),
         BeaconHealthRow("x9", stamp(timedelta(minutes=1)), 2000)],
        ["t01", "t02"],
        NOW,
        sync_error="HTTP 503",
        sync_failures=4,
    )
    texts = [w.text for w in out]
    assert any("“b” silent for 3 h" in t for t in texts)
    assert not any("“a”" in t or "“c”" in t for t in texts)
    assert any("t01" in t and "2300 mV" in t for t in texts)
    assert any("t02" in t and "not heard" in t for t in texts)
    assert not any("x9" in t for t in texts)  # not a fixed beacon of the content
    assert any("HTTP 503" in t for t in texts)
    assert [w.severity for w in out] == sorted((w.severity for w in out), key=lambda s: s != "bad")


def test_settings_form_checks_each_field() -> None:
    values, errors = parse_settings_form({
        "site_name": "Musée", "cloud_url": "ftp://x", "cloud_secret": "short",
        "privacy_mode": "open", "k_anonymity": "1", "event_retention_days": "30",
        "pseudonym_retention_hours": "abc"})
    assert set(errors) == {"cloud_url", "cloud_secret", "privacy_mode", "k_anonymity",
                           "pseudonym_retention_hours"}
    values, errors = parse_settings_form({
        "site_name": "", "cloud_url": "https://cloud.example/in", "cloud_secret": "",
        "privacy_mode": "pseudonymous", "k_anonymity": "7", "event_retention_days": "30",
        "pseudonym_retention_hours": "24"})
    assert errors == {}
    assert values["k_anonymity"] == 7 and values["site_name"] is None
    assert "cloud_secret" not in values  # empty keeps the stored secret


def test_csv_cells_cannot_become_spreadsheet_formulas() -> None:
    chart = Chart("kiosk", "t", ("artwork", "views"), [("=HYPERLINK(1)", 3), ("ok", 1)])
    assert chart.csv().splitlines() == ["artwork,views", "'=HYPERLINK(1),3", "ok,1"]
