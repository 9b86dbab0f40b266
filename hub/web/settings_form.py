"""Checking the settings form (pure): raw form strings in, typed values or errors out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


def parse_settings_form(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The values to store and the errors by field name (empty when all is well).

    An empty cloud secret keeps the stored one (it is never shown back);
    ``clear_secret`` removes it.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    site_name = form.get("site_name", "").strip()
    if len(site_name) > 100:
        errors["site_name"] = "At most 100 characters."
    values["site_name"] = site_name or None
    url = form.get("cloud_url", "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors["cloud_url"] = "An http:// or https:// address, or empty for no sync."
    values["cloud_url"] = url or None
    secret = form.get("cloud_secret", "")
    if form.get("clear_secret"):
        values["cloud_secret"] = None
    elif secret:
        if len(secret) < 16:
            errors["cloud_secret"] = "At least 16 characters."  # noqa: S105 (a message)
        values["cloud_secret"] = secret
    mode = form.get("privacy_mode", "anonymous")
    if mode not in ("anonymous", "pseudonymous"):
        errors["privacy_mode"] = "Anonymous or pseudonymous."
    values["privacy_mode"] = mode
    for name, kind, low, high, text in (
        ("k_anonymity", int, 2, 1000, "A whole number from 2 to 1000."),
        ("event_retention_days", float, 1, 3650, "Days, from 1 to 3650."),
        ("pseudonym_retention_hours", float, 1, 24 * 30, "Hours, from 1 to 720."),
    ):
        raw = form.get(name, "").strip()
        try:
            number = kind(raw)
        except ValueError:
            errors[name] = text
            continue
        if not low <= number <= high:
            errors[name] = text
        values[name] = number
    return values, errors
