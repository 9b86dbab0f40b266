"""Request bodies read with a limit of their own, for routes smaller or larger than the app's."""

from __future__ import annotations

from aiohttp import web

from hub.api.problems import ApiProblem


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
