"""``HubClient``: the device API over aiohttp, as kiosks and beacon agents call it.

401 raises ``NotPairedError`` (the device must pair again); a hub that does not answer
raises ``HubUnreachableError``; any other refusal raises ``HubRequestError`` with the
problem's ``status`` and ``code``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import msgspec

from cimaise.errors import CimaiseError, HubUnreachableError, NotPairedError, PairingError
from hub.client.events import Event, encode_event
from hub.client.manifest import Manifest, manifest_decoder
from hub.client.wire import (
    DeviceKind,
    Enrollment,
    EnrollRequest,
    HeartbeatReply,
    HeartbeatRequest,
    IngestReply,
    Problem,
)

API_PATH = "/api/v1"
T = TypeVar("T")


class HubRequestError(CimaiseError):
    """Raised on a device when the hub refuses a request (a problem reply other than 401)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"hub refused the request ({status} {code}): {detail}")
        self.status = status
        self.code = code
        self.detail = detail


class MediaHashMismatchError(CimaiseError):
    """Raised when a downloaded media file does not hash to the sha256 it was asked by."""


class Fetched(msgspec.Struct, frozen=True):
    """A document fetched with its ETag (manifest or public pack)."""

    body: bytes
    etag: str | None


class FetchedManifest(msgspec.Struct, frozen=True):
    """The manifest, decoded, with its raw bytes (to cache) and ETag."""

    manifest: Manifest
    body: bytes
    etag: str | None


def _problem(status: int, body: bytes) -> Problem:
    try:
        return msgspec.json.decode(body, type=Problem)
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = body[:200].decode(errors="replace").strip() or "no detail"
        return Problem(title="error", status=status, detail=text, code="http_error")


class HubClient:
    """A client of one hub: ``async with HubClient(url, token) as hub: ...``."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 15.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._own_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(5.0, timeout))
        self._session = session

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        """Close the HTTP session (when this client made it)."""
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> HubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # the calls -----------------------------------------------------------------------
    async def enroll(self, code: str, kind: DeviceKind, name: str) -> Enrollment:
        """Exchange a pairing code for this device's id and token (sets ``self.token``)."""
        body = msgspec.json.encode(EnrollRequest(code=code, kind=kind, name=name))
        try:
            _, _, data = await self._request("POST", "/devices/enroll", body, auth=False)
        except HubRequestError as exc:
            if exc.status in (400, 403, 404, 409, 410, 429):
                raise PairingError(f"pairing refused: {exc.detail}") from None
            raise
        enrollment = msgspec.json.decode(data, type=Enrollment)
        self.token = enrollment.token
        return enrollment

    async def send_events(self, events: Sequence[Event]) -> IngestReply:
        """Send events; the reply counts accepted and duplicates and names rejected ones."""
        return await self.send_raw([encode_event(e) for e in events])

    async def send_raw(self, bodies: Sequence[bytes]) -> IngestReply:
        """Send events already encoded as JSON (e.g. from the outbox)."""
        body = b'{"events":[' + b",".join(bodies) + b"]}"
        _, _, data = await self._request("POST", "/events", body)
        return msgspec.json.decode(data, type=IngestReply)

    async def heartbeat(self, request: HeartbeatRequest | None = None) -> HeartbeatReply:
        """Report status; the reply carries the zone, content version, and agents' key."""
        body = msgspec.json.encode(request or HeartbeatRequest())
        _, _, data = await self._request("POST", "/devices/heartbeat", body)
        return msgspec.json.decode(data, type=HeartbeatReply)

    async def manifest(self, etag: str | None = None) -> FetchedManifest | None:
        """The content manifest, or None when it still has ``etag`` (304)."""
        fetched = await self._fetch("/content/manifest", etag, auth=True)
        if fetched is None:
            return None
        manifest = manifest_decoder.decode(fetched.body)
        return FetchedManifest(manifest, fetched.body, fetched.etag)

    async def public_pack(self, etag: str | None = None) -> Fetched | None:
        """The public pack for phones (no token needed), or None when unchanged (304)."""
        return await self._fetch("/public/pack", etag, auth=False)

    async def download_media(self, sha256: str, dest: Path) -> Path:
        """Download a media file to ``dest`` (atomically), checking its sha256."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        digest = hashlib.sha256()
        try:
            async with self.session.get(
                self._url(f"/media/{sha256}"), headers=self._headers(True)
            ) as response:
                if response.status != 200:
                    self._raise_for(response.status, await response.read())
                with tmp.open("wb") as fh:
                    async for chunk in response.content.iter_chunked(64 * 1024):
                        digest.update(chunk)
                        fh.write(chunk)
        except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise HubUnreachableError(f"hub {self.base_url} did not answer: {exc}") from None
        if digest.hexdigest() != sha256.lower():
            tmp.unlink()
            raise MediaHashMismatchError(f"media {sha256} arrived with another hash")
        tmp.replace(dest)
        return dest

    async def upload_screenshot(self, png: bytes) -> None:
        """Send the kiosk's latest screenshot (PNG)."""
        await self._request("POST", "/devices/screenshot", png, content_type="image/png")

    # plumbing --------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.base_url}{API_PATH}{path}"

    def _headers(self, auth: bool) -> dict[str, str]:
        if not auth:
            return {}
        if not self.token:
            raise NotPairedError("this device has no token: pair it with the hub first")
        return {"Authorization": f"Bearer {self.token}"}

    def _raise_for(self, status: int, body: bytes) -> None:
        problem = _problem(status, body)
        if status == 401:
            raise NotPairedError(problem.detail)
        raise HubRequestError(status, problem.code, problem.detail)

    async def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        auth: bool = True,
        content_type: str = "application/json",
        extra: dict[str, str] | None = None,
    ) -> tuple[int, Any, bytes]:
        headers = self._headers(auth)
        if body is not None:
            headers["Content-Type"] = content_type
        headers.update(extra or {})
        try:
            async with self.session.request(
                method, self._url(path), data=body, headers=headers
            ) as response:
                data = await response.read()
                if response.status >= 400:
                    self._raise_for(response.status, data)
                return response.status, response.headers, data
        except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise HubUnreachableError(f"hub {self.base_url} did not answer: {exc!r}") from None

    async def _fetch(self, path: str, etag: str | None, *, auth: bool) -> Fetched | None:
        extra = {"If-None-Match": etag} if etag else None
        status, headers, data = await self._request("GET", path, auth=auth, extra=extra)
        if status == 304:
            return None
        return Fetched(data, headers.get("ETag"))
