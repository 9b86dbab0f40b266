"""Which language to speak to a visitor: ``?lang=``, then their cookie, then Accept-Language."""

from __future__ import annotations

from collections.abc import Sequence

COOKIE = "cimaise_lang"
# A preference cookie, nothing else: it only remembers the language a visitor chose.
COOKIE_MAX_AGE_S = 180 * 24 * 3600


def parse_accept_language(header: str | None) -> list[str]:
    """Primary language subtags of an Accept-Language header, most preferred first."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0 or q != q:  # q=0 means "not this one"; NaN is nonsense
            continue
        ranked.append((-q, index, tag.split("-")[0]))
    ranked.sort()
    out: list[str] = []
    for _, _, primary in ranked:
        if primary not in out:
            out.append(primary)
    return out


def choose_language(
    available: Sequence[str],
    default: str,
    query: str | None = None,
    cookie: str | None = None,
    accept_language: str | None = None,
) -> str:
    """The language to use: an explicit choice first, then the browser's, else the default."""
    for explicit in (query, cookie):
        if explicit and explicit.lower() in available:
            return explicit.lower()
    for primary in parse_accept_language(accept_language):
        if primary in available:
            return primary
        if primary == "*":
            break
    return default if default in available or not available else available[0]
