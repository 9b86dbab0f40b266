"""Per-route request limits: bodies read with a size of their own, rates per client address."""

from __future__ import annotations

import time

from aiohttp import web

from hub.api.problems import ApiProblem
from hub.devices.ratelimit import TokenBuckets


async def read_limited(request: web.Request, limit: int, too_large: str) -> bytes:
    """The body, read from the stream; 413 with ``too_large`` as the detail beyond ``limit``."""
    problem = ApiProblem(413, "body_too_large", too_large)
    if request.content_length is not None and request.content_length > limit:
        raise problem
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise problem
        chunks.append(chunk)
    return b"".join(chunks)


def enforce_rate(request: web.Request, limit: TokenBuckets, code: str, what: str) -> None:
    """Take a token for the client's address; 429 with Retry-After when none is left.

    ``what`` names the attempts in the problem's sentence, e.g. "pairing attempts".
    """
    client = request.remote or "unknown"
    now = time.monotonic()
    if not limit.allow(client, now):
        wait = max(1, round(limit.retry_after(client, now)))
        raise ApiProblem(
            429,
            code,
            f"too many {what} from this address: try again in {wait} s",
            {"Retry-After": str(wait)},
        )
