"""``DeviceLink``: what a device program runs to stay connected to its hub.

It finds the hub (a fixed ``hub_url``, else the last good address, else zeroconf),
enrolls with a pairing code when the device has no token, sends the outbox with
exponential backoff and jitter, heartbeats, and reports its state to the device: on a
401 it forgets its token and waits in ``needs_pairing`` until ``pair(code)`` is called.

    link = DeviceLink(state_dir=..., kind="kiosk", name="kiosk-1", outbox=outbox,
                      hub_url=None, pair_code=code, on_state=show, on_heartbeat=apply)
    task = asyncio.create_task(link.run())
    await link.add_events([...])
    ...
    link.stop(); await task
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from cimaise import __version__
from cimaise.errors import HubUnreachableError, NotPairedError, PairingError
from hub.client.api import HubClient, HubRequestError
from hub.client.credentials import (
    Credentials,
    clear_credentials,
    load_credentials,
    save_credentials,
)
from hub.client.discovery import discover_hub
from hub.client.events import Event
from hub.client.outbox import Outbox
from hub.client.policies import Backoff
from hub.client.wire import DeviceKind, HeartbeatReply, HeartbeatRequest

log = logging.getLogger(__name__)


class LinkState(enum.Enum):
    """Where the link stands; devices show ``needs_pairing`` and ``offline`` to people."""

    STARTING = "starting"
    SEARCHING = "searching"  # looking for the hub
    ONLINE = "online"
    OFFLINE = "offline"  # the hub does not answer; events wait in the outbox
    NEEDS_PAIRING = "needs_pairing"
    STOPPED = "stopped"


class _Reconnect(Exception):
    """The hub stopped answering: find it again."""


class _Unpaired(Exception):
    """The hub refused the token."""


StateCallback = Callable[[LinkState, str], Any]
HeartbeatCallback = Callable[[HeartbeatReply], Any]
StatusSource = Callable[[], HeartbeatRequest]


async def _call(callback: Callable[..., Any] | None, *args: Any) -> None:
    if callback is None:
        return
    try:
        result = callback(*args)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("device callback %r failed", callback)


class DeviceLink:
    """Keeps a device connected to its hub; see the module docstring."""

    def __init__(
        self,
        *,
        state_dir: Path,
        kind: DeviceKind,
        name: str,
        outbox: Outbox,
        hub_url: str | None = None,
        pair_code: str | None = None,
        site: str | None = None,
        version: str = __version__,
        heartbeat_s: float = 30.0,
        flush_s: float = 2.0,
        batch_size: int = 500,
        failures_before_resolve: int = 3,
        discovery_interfaces: list[str] | None = None,
        discovery_wait_s: float = 10.0,
        backoff: Backoff | None = None,
        status: StatusSource | None = None,
        on_state: StateCallback | None = None,
        on_heartbeat: HeartbeatCallback | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.kind: DeviceKind = kind
        self.name = name
        self.outbox = outbox
        self.fixed_url = hub_url.rstrip("/") if hub_url else None
        self.site = site
        self.version = version
        self.heartbeat_s = heartbeat_s
        self.flush_s = flush_s
        self.batch_size = batch_size
        self.failures_before_resolve = failures_before_resolve
        self.discovery_interfaces = discovery_interfaces
        self.discovery_wait_s = discovery_wait_s
        self.backoff = backoff or Backoff(base=1.0, cap=60.0)
        self.status = status
        self.on_state = on_state
        self.on_heartbeat = on_heartbeat
        self.state = LinkState.STARTING
        self.detail = ""
        self.last_reply: HeartbeatReply | None = None
        self.credentials: Credentials | None = load_credentials(self.state_dir)
        self._pair_code = pair_code
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._paired = asyncio.Event()
        self._client: HubClient | None = None
        self._url: str | None = None
        self._use_remembered = True

    # what devices call -----------------------------------------------------------------
    def stop(self) -> None:
        """Ask ``run()`` to finish (it returns after the current request)."""
        self._stopping.set()

    def pair(self, code: str) -> None:
        """Give a new pairing code (e.g. typed by a technician after a revocation)."""
        self._pair_code = code
        self._paired.set()

    def notify(self) -> None:
        """Tell the link that new events wait in the outbox."""
        self._wake.set()

    async def add_events(self, events: Sequence[Event]) -> None:
        """Put events in the outbox (durably) and wake the sender."""
        await asyncio.to_thread(self.outbox.add, events)
        self.notify()

    async def flushed(self, wait_s: float) -> bool:
        """Wait until the outbox is empty (True) or ``wait_s`` seconds passed (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while loop.time() < deadline:
            if await asyncio.to_thread(len, self.outbox) == 0:
                return True
            self.notify()
            await asyncio.sleep(0.05)
        return await asyncio.to_thread(len, self.outbox) == 0

    # the loop --------------------------------------------------------------------------
    async def run(self) -> None:
        """Run until ``stop()``: connect, then send and heartbeat; reconnect as needed."""
        try:
            while not self._stopping.is_set():
                if not await self._connect():
                    break
                await self._serve()
        finally:
            if self._client is not None:
                await self._client.close()
                self._client = None
            await self._set_state(LinkState.STOPPED, "stopped")

    async def _set_state(self, state: LinkState, detail: str) -> None:
        if state is self.state and detail == self.detail:
            return
        self.state, self.detail = state, detail
        log.info("hub link %s: %s", state.value, detail)
        await _call(self.on_state, state, detail)

    async def _sleep(self, seconds: float, *also: asyncio.Event) -> None:
        """Sleep, waking early on stop (or on any of ``also``)."""
        events = [self._stopping, *also]
        waiters = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _resolve(self) -> str:
        if self.fixed_url:
            return self.fixed_url
        if self._use_remembered and self.credentials and self.credentials.hub_url:
            return self.credentials.hub_url  # the last good address, tried first
        await self._set_state(LinkState.SEARCHING, "looking for the hub on the network")
        endpoint = await discover_hub(
            self.site, wait_s=self.discovery_wait_s, interfaces=self.discovery_interfaces
        )
        return endpoint.url

    async def _connect(self) -> bool:
        """Find the hub and make sure we hold a token; False when stopping."""
        while not self._stopping.is_set():
            try:
                url = await self._resolve()
                if self._client is not None:
                    await self._client.close()
                token = self.credentials.token if self.credentials else None
                self._client = HubClient(url, token)
                self._url = url
                if self.credentials is None:
                    if not self._pair_code:
                        # cleared before the state change is announced: a code typed while
                        # it is (the callback may yield) sets it again and ends the wait
                        self._paired.clear()
                        await self._set_state(
                            LinkState.NEEDS_PAIRING, "not paired: enter a pairing code from the hub"
                        )
                        await self._sleep(3600.0, self._paired)
                        continue
                    code, self._pair_code = self._pair_code, None
                    enrollment = await self._client.enroll(code, self.kind, self.name)
                    self.credentials = Credentials(
                        device_id=enrollment.device_id,
                        token=enrollment.token,
                        hub_url=url,
                        zone=enrollment.zone,
                        kind=self.kind,
                        name=self.name,
                    )
                    await asyncio.to_thread(save_credentials, self.state_dir, self.credentials)
                    log.info("enrolled as device %s", enrollment.device_id)
                    await self._set_state(LinkState.ONLINE, f"connected to {url}")
                return True
            except PairingError as exc:
                await self._set_state(LinkState.NEEDS_PAIRING, str(exc))
            except (HubUnreachableError, HubRequestError) as exc:
                self._use_remembered = False  # the remembered address failed: search
                delay = self.backoff.next_delay()
                await self._set_state(LinkState.OFFLINE, f"{exc}; retrying in {delay:.0f} s")
                await self._sleep(delay)
        return False

    async def _serve(self) -> None:
        """Send and heartbeat until stopped, unpaired or the hub is lost.

        The link turns ``online`` only when the hub has answered a call (``_guard``), not
        because a token was found on disk: a saved token says nothing about the hub.
        """
        tasks = [
            asyncio.create_task(self._flusher(), name="cimaise-link-flush"),
            asyncio.create_task(self._heartbeater(), name="cimaise-link-heartbeat"),
        ]
        stop_waiter: asyncio.Future[Any] = asyncio.ensure_future(self._stopping.wait())
        waited: list[asyncio.Future[Any]] = [*tasks, stop_waiter]
        try:
            done, _ = await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop_waiter.cancel()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, _Reconnect, _Unpaired):
                    await task
        for finished in done:
            if finished is stop_waiter or finished.cancelled():
                continue
            error = finished.exception()
            if isinstance(error, _Unpaired):
                await self._forget_token(str(error.__cause__ or error))
            elif isinstance(error, _Reconnect):
                # search by zeroconf next: the remembered address stopped answering
                self._use_remembered = False
            elif error is not None:
                raise error

    async def _forget_token(self, detail: str) -> None:
        self.credentials = None
        await asyncio.to_thread(clear_credentials, self.state_dir)
        self._paired.clear()
        # the instruction first: a screen that shows two lines keeps it
        await self._set_state(LinkState.NEEDS_PAIRING, f"pair this device again: {detail}")

    async def _guard(self, call: Awaitable[Any], failures: list[int]) -> Any:
        """Await a hub call; count failures and turn them into reconnect/unpaired."""
        try:
            result = await call
        except NotPairedError as exc:
            raise _Unpaired(str(exc)) from exc
        except HubUnreachableError as exc:
            failures[0] += 1
            if failures[0] >= self.failures_before_resolve:
                raise _Reconnect(str(exc)) from exc
            raise
        failures[0] = 0
        self.backoff.reset()
        if self.state is not LinkState.ONLINE:
            await self._set_state(LinkState.ONLINE, f"connected to {self._url}")
        if self.credentials is not None and self.credentials.hub_url != self._url:
            self.credentials = _with_url(self.credentials, self._url)
            await asyncio.to_thread(save_credentials, self.state_dir, self.credentials)
        return result

    async def _flusher(self) -> None:
        assert self._client is not None
        client = self._client
        failures = [0]
        batch_size = self.batch_size
        while not self._stopping.is_set():
            batch = await asyncio.to_thread(self.outbox.next_batch, batch_size)
            if not batch:
                self._wake.clear()
                await self._sleep(self.flush_s, self._wake)
                continue
            try:
                reply = await self._guard(client.send_raw([item.body for item in batch]), failures)
            except (HubUnreachableError, HubRequestError) as exc:
                if isinstance(exc, HubRequestError) and exc.status == 413 and batch_size > 1:
                    batch_size = max(1, batch_size // 2)
                    continue
                delay = self.backoff.next_delay()
                await self._set_state(LinkState.OFFLINE, f"{exc}; retrying in {delay:.0f} s")
                await self._sleep(delay)
                continue
            for rejection in reply.rejected:
                if 0 <= rejection.index < len(batch):
                    log.warning(
                        "hub rejected event %s: %s (dropped)",
                        batch[rejection.index].id,
                        rejection.error,
                    )
            await asyncio.to_thread(self.outbox.ack, [item.id for item in batch])
            batch_size = self.batch_size

    async def _heartbeater(self) -> None:
        assert self._client is not None
        client = self._client
        failures = [0]
        while not self._stopping.is_set():
            request = self.status() if self.status is not None else HeartbeatRequest()
            outbox = await asyncio.to_thread(self.outbox.stats)
            request = HeartbeatRequest(
                status=request.status,
                version=request.version or self.version,
                content_version=request.content_version,
                outbox=outbox,
                beacons=request.beacons,
            )
            interval = self.heartbeat_s
            try:
                reply: HeartbeatReply = await self._guard(client.heartbeat(request), failures)
            except (HubUnreachableError, HubRequestError) as exc:
                log.info("heartbeat failed: %s", exc)
                interval = min(interval, 5.0)
                await self._set_state(LinkState.OFFLINE, f"{exc}; retrying in {interval:.0f} s")
            else:
                self.last_reply = reply
                # beat at least as often as the hub asks (a device may be set to beat faster)
                interval = min(interval, reply.interval_s) if reply.interval_s > 0 else interval
                await _call(self.on_heartbeat, reply)
            await self._sleep(interval)


def _with_url(credentials: Credentials, url: str | None) -> Credentials:
    return Credentials(
        device_id=credentials.device_id,
        token=credentials.token,
        hub_url=url,
        zone=credentials.zone,
        kind=credentials.kind,
        name=credentials.name,
    )
