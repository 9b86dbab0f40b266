"""Choosing the visitor's language, and the guide's own words in each language."""

from __future__ import annotations

import pytest

from hub.guide.language import choose_language, parse_accept_language
from hub.guide.strings import STRINGS


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, []),
        ("", []),
        ("fr", ["fr"]),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", ["fr", "en", "de", "*"]),
        ("en;q=0.2, de", ["de", "en"]),
        ("de;q=0, en", ["en"]),
        ("es;q=abc, it", ["it"]),
        ("EN-us", ["en"]),
        (" , ;q=1, pt-BR;q=0.9", ["pt"]),
    ],
)
def test_accept_language_is_ranked_by_quality(header: str | None, expected: list[str]) -> None:
    assert parse_accept_language(header) == expected


def test_explicit_choice_beats_cookie_beats_browser() -> None:
    langs = ["fr", "en", "de"]
    assert choose_language(langs, "fr", query="de", cookie="en", accept_language="en") == "de"
    assert choose_language(langs, "fr", query=None, cookie="en", accept_language="de") == "en"
    assert choose_language(langs, "fr", query="xx", cookie="yy", accept_language="de") == "de"
    assert choose_language(langs, "fr", accept_language="ja, *;q=0.1") == "fr"
    assert choose_language(langs, "fr", query="EN") == "en"


def test_every_language_has_every_word() -> None:
    keys = set(STRINGS["en"])
    for lang, words in STRINGS.items():
        assert set(words) == keys, lang
        assert all(value.strip() for value in words.values()), lang
