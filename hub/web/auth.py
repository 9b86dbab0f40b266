"""Logging in and out, changing password, and the guard every page goes through.

``@page`` checks the session cookie (else: to the login page) and, on every POST, the
form's CSRF token (synchronizer token of the session, in the ``csrf`` field or the
``X-CSRF-Token`` header that htmx sends). Login attempts take a token from a bucket
per user name and per client address (``hub.web.ratelimit``).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from hub.web.accounts import record_attempt, set_password, verify_password
from hub.web.errors import AccountError
from hub.web.render import render
from hub.web.sessions import COOKIE, Session, end_session, find_session, new_session
from hub.web.state import WEB, WebState

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

LOGIN_CSRF_COOKIE = "cimaise_login"
SESSION_KEY = web.RequestKey("web_session", Session)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _state(request: web.Request) -> WebState:
    return request.app[WEB]


def current_session(request: web.Request) -> Session | None:
    """The live session of the request's cookie, if any."""
    state = _state(request)
    cookie = request.cookies.get(COOKIE, "")
    if not cookie:
        return None
    with state.store.read() as conn:
        return find_session(conn, cookie, state.clock())


def page(handler: Handler) -> Handler:
    """Require a logged-in technician; on POST also a valid CSRF token.

    The guard parses the form; handlers read it again with ``await request.post()``
    (aiohttp keeps the parsed form on the request).
    """

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        state = _state(request)
        session = current_session(request)
        if session is None:
            if request.method == "GET":
                raise web.HTTPSeeOther(f"/admin/login?next={quote(request.path_qs, safe='')}")
            return render(
                state.templates, "error.html", status=401,
                title="Logged out", message="Your session has ended. Log in again.",
            )
        if request.method == "POST":
            form = await request.post()
            token = request.headers.get("X-CSRF-Token") or form.get("csrf")
            if not session.csrf_ok(token if isinstance(token, str) else None):
                log.warning("form without a valid CSRF token refused: %s", request.path)
                return render(
                    state.templates, "error.html", session=session, status=403,
                    title="Form refused",
                    message="This form expired or did not come from this page. "
                    "Reload the page and try again.",
                )
        request[SESSION_KEY] = session
        return await handler(request)

    return guarded


def see_other(location: str) -> web.Response:
    """A 303 redirect (after a form post) that can carry cookies."""
    return web.Response(status=303, headers={"Location": location})


def _safe_next(value: str | None) -> str:
    """Only a path of this site's admin pages (no open redirect)."""
    if value and value.startswith("/admin/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin/"


def _login_page(
    state: WebState, next_url: str, error: str = "", status: int = 200, user: str = "",
    secure: bool = False,
) -> web.Response:
    token = secrets.token_urlsafe(24)
    response = render(
        state.templates, "login.html", status=status,
        next_url=next_url, error=error, login_token=token, user=user,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, path="/admin/login", httponly=True, samesite="Strict",
        secure=state.secure_cookies or secure, max_age=3600,
    )
    return response


@routes.get("/admin/login")
async def login_form(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    if current_session(request) is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next")))
    return _login_page(state, _safe_next(request.query.get("next")), secure=request.secure)


@routes.post("/admin/login")
async def login(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    form = await request.post()
    user = str(form.get("user", ""))[:64].strip()
    password = str(form.get("password", ""))
    next_url = _safe_next(str(form.get("next", "")))
    # Login CSRF: the form's token must match the cookie set with the form (double submit).
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    submitted = str(form.get("login_token", ""))
    if not cookie or not hmac.compare_digest(cookie.encode(), submitted.encode()):
        return _login_page(state, next_url, "The login form expired: try again.", 403, user)
    peer = request.remote or "unknown"
    now = state.monotonic()
    if not state.limiter.take_all([f"user:{user.lower()}", f"addr:{peer}"], now):
        wait = max(
            state.limiter.retry_after(f"user:{user.lower()}", now),
            state.limiter.retry_after(f"addr:{peer}", now),
        )
        await state.store.run_write(
            lambda c: record_attempt(c, user, False, "rate limited", state.clock())
        )
        response = _login_page(
            state, next_url, f"Too many attempts. Try again in {int(wait) + 1} seconds.", 429, user
        )
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response

    def check() -> bool:
        with state.store.read() as conn:
            return verify_password(conn, user, password)

    ok = await asyncio.to_thread(check)  # argon2 takes tens of milliseconds: off the loop
    if not ok:
        await state.store.run_write(
            lambda c: record_attempt(c, user, False, "wrong password", state.clock())
        )
        log.info("login refused for a technician account")
        return _login_page(state, next_url, "Wrong user name or password.", 401, user)

    def start(conn: sqlite3.Connection) -> tuple[str, Session]:
        record_attempt(conn, user, True, None, state.clock())
        return new_session(conn, user, state.clock())

    session_id, _ = await state.store.run_write(start)
    log.info("technician logged in")
    response = see_other(next_url)
    response.set_cookie(
        COOKIE, session_id, path="/admin", httponly=True, samesite="Strict",
        secure=state.secure_cookies or request.secure,
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/admin/login")
    return response


@routes.post("/admin/logout")
@page
async def logout(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    cookie = request.cookies.get(COOKIE, "")
    await state.store.run_write(lambda c: end_session(c, cookie))
    response = see_other("/admin/login")
    response.del_cookie(COOKIE, path="/admin")
    return response


@routes.get("/admin/account")
@page
async def account(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    return render(state.templates, "account.html", session=request[SESSION_KEY], message="",
                  error="", active="account")


@routes.post("/admin/account")
@page
async def change_password(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    session = request[SESSION_KEY]
    form = await request.post()  # parsed once by the guard, cached by aiohttp
    old = str(form.get("old", ""))
    new = str(form.get("new", ""))
    confirm = str(form.get("confirm", ""))

    def check() -> bool:
        with state.store.read() as conn:
            return verify_password(conn, session.user, old)

    error = ""
    if new != confirm:
        error = "The two new passwords differ."
    elif not await asyncio.to_thread(check):
        error = "The current password is wrong."
    else:
        try:
            await state.store.run_write(lambda c: set_password(c, session.user, new, state.clock()))
        except AccountError as exc:
            error = str(exc).capitalize() + "."
    if error:
        return render(state.templates, "account.html", session=session, status=400,
                      message="", error=error, active="account")
    # Every session of the user ended with the change: log in again with the new password.
    response = see_other("/admin/login")
    response.del_cookie(COOKIE, path="/admin")
    return response
