"""API errors as problem-details JSON (RFC 9457) with a stable ``code``; never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import TypeVar

import msgspec
from aiohttp import web

from cimaise.errors import CimaiseError, PairingError, StoreUnavailableError
from hub.client.wire import Problem

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "https://cimaise.org/problems/"

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiProblem(CimaiseError):
    """Raised by an API handler to answer with a problem document (status, code, sentence)."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


def decode_body(body: bytes, kind: type[T]) -> T:
    """Decode a JSON body into ``kind``, or raise a 400 problem naming what is wrong."""
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
        raise ApiProblem(400, "invalid_body", f"the request body is not valid: {exc}") from None


def problem_response(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> web.Response:
    """A problem-details response."""
    body = Problem(
        type=TYPE_BASE + code,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
    )
    return web.Response(
        body=msgspec.json.encode(body),
        status=status,
        content_type=PROBLEM_TYPE,
        headers=headers,
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "pairing_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error under ``/api/`` into a problem document."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except ApiProblem as exc:
        return problem_response(exc.status, exc.code, exc.detail, exc.headers)
    except StoreUnavailableError as exc:
        return problem_response(503, "store_unavailable", str(exc), {"Retry-After": "30"})
    except PairingError as exc:
        return problem_response(403, "pairing_refused", str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 413:
            detail = f"the request body is larger than this hub accepts ({exc.text})"
        else:
            detail = exc.reason if exc.text is None else exc.text.removeprefix(f"{exc.status}: ")
        return problem_response(
            exc.status, _HTTP_CODES.get(exc.status, "http_error"), detail or exc.reason
        )
    except CimaiseError as exc:
        log.warning("%s %s failed: %s", request.method, request.path, exc)
        return problem_response(500, "internal_error", str(exc))
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return problem_response(
            500, "internal_error", "the hub failed to answer this request; see its log"
        )
