"""The kiosk's side of the hub: events into the outbox, content downloads, heartbeats.

A thin adapter between the app and ``hub.client``: ``DeviceLink`` finds the hub,
enrolls, flushes the outbox and heartbeats; this module adds what only a kiosk does
(interaction events from the session's notes, the content cache kept in step with the
hub's manifest, screenshots on request) and tells the app when pairing is needed.
Everything runs on the one asyncio loop that also runs Kivy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from cimaise.errors import CimaiseError, HubUnreachableError, NotPairedError
from hub.client.api import HubClient, HubRequestError, MediaHashMismatchError
from hub.client.device import DeviceLink, LinkState
from hub.client.events import Interaction, new_event_id, utc_now
from hub.client.outbox import Outbox
from hub.client.wire import HeartbeatReply, HeartbeatRequest
from kiosk.cache import ContentCache, ContentCacheError
from kiosk.session import Note

log = logging.getLogger(__name__)


class KioskScreen(Protocol):
    """What the link needs of the app (``KioskApp`` implements it)."""

    def status(self) -> dict[str, object]: ...

    def pairing_needed(self, details: str = "") -> None: ...

    def pairing_result(self, ok: bool, message: str) -> None: ...

    def hub_found(self, url: str) -> None: ...

    def capture_png(self, max_width: int = 640) -> bytes: ...


def note_to_event(note: Note) -> Interaction:
    """An ``interaction`` event for a session note: a new id, the time now, nothing personal."""
    return Interaction(
        id=new_event_id(),
        ts=utc_now(),
        session=note.session,
        action=note.action,
        artwork=note.artwork,
        language=note.language,
        screen=note.screen,
    )


class KioskLink:
    """Connects the kiosk app to its hub; ``run()`` until ``stop()``."""

    def __init__(
        self,
        screen: KioskScreen,
        cache: ContentCache,
        *,
        state_dir: Path,
        name: str,
        hub_url: str | None = None,
        pair_code: str | None = None,
        heartbeat_s: float = 30.0,
        content_poll_s: float = 60.0,
        discovery_interfaces: list[str] | None = None,
    ) -> None:
        self.screen = screen
        self.cache = cache
        self.content_poll_s = content_poll_s
        self.outbox = Outbox(state_dir / "outbox.db")
        self.device = DeviceLink(
            state_dir=state_dir,
            kind="kiosk",
            name=name,
            outbox=self.outbox,
            hub_url=hub_url,
            pair_code=pair_code,
            heartbeat_s=heartbeat_s,
            discovery_interfaces=discovery_interfaces,
            status=self._status,
            on_state=self._on_state,
            on_heartbeat=self._on_heartbeat,
        )
        self._content_wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._etag: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._pairing_from_screen = False
        self._had_code = bool(pair_code)

    @property
    def paired(self) -> bool:
        """Whether the kiosk holds a token, or a code to enroll with."""
        return self.device.credentials is not None or self._had_code

    # --- from the app -----------------------------------------------------------------

    def record(self, notes: Sequence[Note]) -> None:
        """Interaction notes from the session: into the durable outbox, then to the hub."""
        events = [note_to_event(n) for n in notes]
        self._spawn(self.device.add_events(events))

    def pair(self, code: str) -> None:
        """A technician typed a pairing code."""
        self._pairing_from_screen = True
        self.screen.pairing_result(False, "Pairing…")
        self.device.pair(code)

    # --- running ----------------------------------------------------------------------

    async def run(self) -> None:
        """Keep the link and the content sync running until ``stop()``."""
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.device.run())
                group.create_task(self._sync_content())
        finally:
            for task in list(self._tasks):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await asyncio.to_thread(self.outbox.close)

    def stop(self) -> None:
        self._stopping.set()
        self._content_wake.set()
        self.device.stop()

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- DeviceLink callbacks ---------------------------------------------------------

    def _status(self) -> HeartbeatRequest:
        return HeartbeatRequest(
            status={**self.screen.status(), "link": self.device.state.value},
            content_version=self.cache.current_version(),
        )

    def _on_state(self, state: LinkState, detail: str) -> None:
        if state is LinkState.NEEDS_PAIRING:
            self.screen.pairing_needed(detail)
            if self._pairing_from_screen and "refused" in detail:
                self.screen.pairing_result(False, detail)
        elif state is LinkState.ONLINE:
            credentials = self.device.credentials
            url = self.device.fixed_url or (credentials.hub_url if credentials else None)
            if url:
                self.screen.hub_found(url)
            if self._pairing_from_screen:
                self._pairing_from_screen = False
                self.screen.pairing_result(True, "Paired.")
            self._content_wake.set()

    async def _on_heartbeat(self, reply: HeartbeatReply) -> None:
        if reply.content_version and reply.content_version not in (
            self.cache.current_version(),
            self._staged_version(),
        ):
            self._content_wake.set()
        if reply.screenshot_requested:
            await self._send_screenshot()

    def _staged_version(self) -> str | None:
        staged = self.cache.staged()
        return staged.version if staged else None

    def _client(self) -> HubClient | None:
        credentials = self.device.credentials
        url = self.device.fixed_url or (credentials.hub_url if credentials else None)
        if credentials is None or url is None or self.device.state is not LinkState.ONLINE:
            return None
        return HubClient(url, credentials.token)

    async def _send_screenshot(self) -> None:
        client = self._client()
        if client is None:
            return
        try:
            png = self.screen.capture_png(640)
            async with client:
                await client.upload_screenshot(png)
            log.info("screenshot sent to the hub (%d bytes)", len(png))
        except CimaiseError as exc:
            log.warning("screenshot not sent: %s", exc)

    # --- content --------------------------------------------------------------------

    async def _sync_content(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._content_wake.wait(), self.content_poll_s)
            self._content_wake.clear()
            if self._stopping.is_set():
                return
            client = self._client()
            if client is None:
                continue
            try:
                async with client:
                    await self.update_content(client)
            except (HubUnreachableError, HubRequestError, NotPairedError) as exc:
                log.info("content not updated now: %s", exc)
            except (ContentCacheError, MediaHashMismatchError) as exc:
                log.warning("content from the hub refused: %s", exc)

    async def update_content(self, client: HubClient) -> bool:
        """Fetch the manifest; if it is new, download its media and stage it. True if staged."""
        fetched = await client.manifest(self._etag)
        if fetched is None:
            return False
        manifest = fetched.manifest
        if manifest.version in (self.cache.current_version(), self._staged_version()):
            self._etag = fetched.etag
            return False
        missing = self.cache.missing(manifest)
        log.info("content %s: downloading %d media files", manifest.version, len(missing))
        for ref in missing:
            await client.download_media(ref.sha256, self.cache.media_path(ref))
            if not self.cache.has_media(ref):
                raise ContentCacheError(f"media {ref.sha256[:12]} has the wrong size")
        await asyncio.to_thread(self.cache.stage, fetched.body)
        self._etag = fetched.etag
        log.info("content %s staged: shown from the next pause between visitors", manifest.version)
        return True
