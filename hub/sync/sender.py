"""The HTTP side of the sync: one POST of one batch, and what came back (thin adapter)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True, slots=True)
class Answer:
    """What one attempt got: an HTTP status (None when no answer) and a readable reason."""

    status: int | None
    reason: str
    retry_after: str | None = None


def _reason(status: int, text: str) -> str:
    detail = text.strip()
    try:
        parsed = json.loads(detail)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        detail = str(parsed.get("detail") or parsed.get("title") or parsed.get("status") or "")
    return f"HTTP {status}: {detail[:300]}" if detail else f"HTTP {status}"


async def post_batch(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> Answer:
    """POST one batch; never raises for network trouble (it becomes an Answer)."""
    try:
        async with session.post(url, data=body, headers=headers, allow_redirects=False) as resp:
            text = await resp.text(errors="replace")
            return Answer(resp.status, _reason(resp.status, text), resp.headers.get("Retry-After"))
    except TimeoutError:
        return Answer(None, "no answer: the receiver timed out")
    except aiohttp.ClientConnectorError as exc:
        return Answer(None, f"cannot connect to the receiver: {exc.os_error or exc}")
    except (aiohttp.ClientError, asyncio.IncompleteReadError, OSError) as exc:
        return Answer(None, f"connection failed: {type(exc).__name__}: {exc}")
