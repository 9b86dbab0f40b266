"""The beacon agent as a device: hub link, advertisement source, core, outbox.

``BeaconAgent(options).run()`` enrolls (``--pair``), heartbeats and sends events through
``hub.client.device.DeviceLink`` and its durable outbox, takes its zone from the hub,
the zone's thresholds and the museum's beacons from the content manifest, and the
pseudonym key from every heartbeat reply (memory only). Advertisements come from
one source: the radio (``scanner.Scanner``, the only place bleak is imported), a
trace (``--replay``) or the simulator (``--simulate``).

Replay and simulation run on the trace's own clock (``base + t``): at ``--speed 0``
as fast as possible, ending "now"; at speed X, paced so X trace seconds pass per
wall-clock second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import msgspec

from beacon_agent.frames import EddystoneUrl, IBeacon
from beacon_agent.pipeline import Advert, AgentCore
from beacon_agent.pseudonym import PseudonymKey
from beacon_agent.simulate import GallerySimulation, SimConfig
from beacon_agent.trace import (
    TraceError,
    decode_payload,
    encode_record,
    first_trace_time,
    last_trace_time,
    open_for_recording,
    read_replay_blocks,
    record_line,
)
from beacon_agent.tracker import TrackerConfig
from cimaise.errors import CimaiseError, NotPairedError
from hub.client.api import HubClient
from hub.client.device import DeviceLink, LinkState
from hub.client.events import Occupancy, Visit
from hub.client.manifest import Beacon, Manifest, Zone, manifest_decoder
from hub.client.outbox import Outbox
from hub.client.wire import BeaconHealth as WireBeaconHealth
from hub.client.wire import HeartbeatReply, HeartbeatRequest

if TYPE_CHECKING:  # dbus-fast only where advertising happens
    from beacon_agent.advertiser import AdvertisementContent

_log = logging.getLogger(__name__)

MANIFEST_FILE: Final = "manifest.json"
#: seconds between two passes that move events to the outbox (live and paced modes)
PUMP_S: Final = 1.0
#: the same in replays at --speed 0
FAST_PUMP_S: Final = 10.0


class AgentError(CimaiseError):
    """Raised when the agent cannot do what it was asked (no zone, no key from the hub)."""


@dataclass(frozen=True, slots=True)
class AgentOptions:
    """Everything ``cimaise beacon`` was asked to do."""

    state: Path
    hub_url: str | None = None
    pair_code: str | None = None
    name: str = ""
    site: str | None = None
    replay: Path | None = None
    speed: float | None = None  # None: 1 (real time); 0: as fast as possible
    record: Path | None = None
    simulate: bool = False
    duration: float | None = None  # stop after this many (trace) seconds
    seed: int = 1
    # a real-time simulation starts with this much gallery history, replayed at once, so
    # the hub has visits and occupancy from the first minute (the demo)
    warmup_s: float = 600.0
    adapter: str | None = None
    passive: bool = False
    advertise: bool | None = None  # None: when scanning the radio
    link_base: str | None = None  # base URL of the /b/{beacon} link, default the hub's
    discovery_interfaces: list[str] | None = None
    heartbeat_s: float = 30.0
    occupancy_interval_s: float = 60.0
    ready_wait_s: float = 60.0
    flush_wait_s: float = 120.0

    @property
    def live(self) -> bool:
        """Listening to the radio (neither replay nor simulation)."""
        return self.replay is None and not self.simulate


def default_name() -> str:
    """A device name for the hub's list: beacon-<host name>."""
    return f"beacon-{socket.gethostname()}"[:64]


def _unix(rfc3339: str | None) -> float | None:
    if not rfc3339:
        return None
    try:
        return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def agent_advertisements(beacon: Beacon, link_base: str | None) -> list[AdvertisementContent]:
    """The agent's own advertisements: its iBeacon and an Eddystone-URL to its link."""
    from beacon_agent.advertiser import eddystone_url_content, ibeacon_content

    contents = []
    power = beacon.measured_power if beacon.measured_power is not None else -59
    if beacon.ibeacon is not None:
        ident = beacon.ibeacon
        frame = IBeacon(ident.uuid.replace("-", "").lower(), ident.major, ident.minor, power)
        contents.append(ibeacon_content(frame))
    if link_base:
        url = f"{link_base.rstrip('/')}/b/{beacon.id}"
        try:
            contents.append(eddystone_url_content(EddystoneUrl(url, power + 41)))
        except ValueError as exc:
            _log.warning("no Eddystone-URL advertisement for %s: %s (see --link-base)", url, exc)
    return contents


class BeaconAgent:
    """One agent process; ``await BeaconAgent(options).run()``."""

    def __init__(self, options: AgentOptions, clock: Callable[[], float] = time.time) -> None:
        self.options = options
        self.clock = clock
        options.state.mkdir(parents=True, exist_ok=True)
        options.state.chmod(0o700)
        self.outbox = Outbox(options.state / "outbox.db")
        self.link = DeviceLink(
            state_dir=options.state,
            kind="beacon",
            name=options.name or default_name(),
            outbox=self.outbox,
            hub_url=options.hub_url,
            pair_code=options.pair_code,
            site=options.site,
            heartbeat_s=options.heartbeat_s,
            discovery_interfaces=options.discovery_interfaces,
            status=self._status,
            on_state=self._on_state,
            on_heartbeat=self._on_heartbeat,
        )
        self.core: AgentCore | None = None
        self.zone: Zone | None = None
        self.manifest: Manifest | None = self._cached_manifest()
        self._manifest_etag: str | None = None
        self._content_version: str | None = None
        self._key: PseudonymKey | None = None
        self._now = clock()  # the core's clock: wall time, or the trace's in replay
        self._ready = asyncio.Event()
        self._unpaired: str | None = None
        self._recording: IO[bytes] | None = None
        self._record_lines: list[bytes] = []
        self._record_t0: float | None = None
        self.sent = 0
        self._pending: list[Visit | Occupancy] = []
        self._stop = asyncio.Event()

    # -- the hub side ---------------------------------------------------------------

    def _cached_manifest(self) -> Manifest | None:
        path = self.options.state / MANIFEST_FILE
        try:
            return manifest_decoder.decode(path.read_bytes())
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None

    async def _on_state(self, state: LinkState, detail: str) -> None:
        if state is LinkState.NEEDS_PAIRING:
            self._unpaired = detail
            _log.error("pairing required: %s", detail)
            self._ready.set()  # wake whoever waits: there will be no key

    async def _on_heartbeat(self, reply: HeartbeatReply) -> None:
        credentials = self.link.credentials
        zone_id = reply.zone or (credentials.zone if credentials else None)
        if (
            reply.content_version != self._content_version or self.manifest is None
        ) and await self._refresh_manifest():
            self._content_version = reply.content_version  # else: asked again next time
        if zone_id is None:
            _log.warning("this agent has no zone yet: set one on the hub's devices page")
            return
        self._use_zone(zone_id)
        if reply.pseudonym_key:
            try:
                secret = bytes.fromhex(reply.pseudonym_key)
            except ValueError:
                _log.warning("the hub sent a pseudonym key that is not hex: ignored")
                return
            key = PseudonymKey(secret, reply.key_id or "", _unix(reply.key_expires))
            self._key = key
            assert self.core is not None
            self.core.set_key(key, self._now)
            self._ready.set()

    async def _refresh_manifest(self) -> bool:
        """Fetch the content manifest (zones, beacons); True when it is up to date."""
        credentials = self.link.credentials
        if credentials is None or not credentials.hub_url:
            return False
        client = HubClient(credentials.hub_url, credentials.token)
        try:
            fetched = await client.manifest(self._manifest_etag if self.manifest else None)
        except (CimaiseError, msgspec.ValidationError, msgspec.DecodeError) as exc:
            _log.warning("content manifest not fetched: %s", exc)
            return False
        finally:
            await client.close()
        if fetched is None:
            return True  # 304: unchanged
        self.manifest = fetched.manifest
        self._manifest_etag = fetched.etag
        path = self.options.state / MANIFEST_FILE
        tmp = path.with_suffix(".tmp")
        await asyncio.to_thread(tmp.write_bytes, fetched.body)
        tmp.replace(path)
        if self.core is not None:
            self.core.set_beacons(self.manifest.beacons)
        _log.info(
            "content manifest %s: %d beacons",
            fetched.manifest.version,
            len(fetched.manifest.beacons),
        )
        return True

    def _use_zone(self, zone_id: str) -> None:
        """Count in this zone, with its thresholds from the manifest (or the defaults)."""
        zones = {z.id: z for z in self.manifest.zones} if self.manifest else {}
        zone = zones.get(zone_id) or Zone(id=zone_id, name={})
        config = TrackerConfig.from_zone(
            zone, occupancy_interval_s=self.options.occupancy_interval_s
        )
        self.zone = zone
        if self.core is not None and self.core.tracker.config == config:
            return  # same zone, same thresholds: visits in progress go on
        beacons = self.manifest.beacons if self.manifest else []
        if self.core is not None:
            self.core.finish(self._now)
            self._pending.extend(self.core.events())
        self.core = AgentCore(config, beacons)
        if self._key is not None:
            self.core.set_key(self._key, self._now)
        _log.info(
            "counting in zone %s (enter %.0f dBm, exit %.0f dBm)",
            zone.id,
            config.enter_rssi,
            config.exit_rssi,
        )

    def _status(self) -> HeartbeatRequest:
        core = self.core
        status: dict[str, Any] = {
            "mode": "replay"
            if self.options.replay
            else "simulate"
            if self.options.simulate
            else "scan",
            "zone": self.zone.id if self.zone else None,
            "key": self._key.key_id if self._key else None,
        }
        beacons: list[WireBeaconHealth] = []
        if core is not None:
            status.update(
                present=core.tracker.present,
                tracked=core.tracker.tracked,
                adverts=core.stats.adverts,
                visitor_samples=core.stats.visitor_samples,
                beacon_samples=core.stats.beacon_samples,
                visits=core.stats.visits,
            )
            beacons = [WireBeaconHealth(**h.as_report()) for h in core.beacon_health()[:500]]
        return HeartbeatRequest(status=status, beacons=beacons)

    # -- moving events ----------------------------------------------------------------

    async def _send_events(self) -> None:
        events: list[Visit | Occupancy] = list(self._pending)
        self._pending.clear()
        if self.core is not None:
            events.extend(self.core.events())
        if events:
            await self.link.add_events(events)
            self.sent += len(events)
        if self._record_lines and self._recording is not None:
            lines, self._record_lines = self._record_lines, []
            await asyncio.to_thread(self._recording.write, b"".join(lines))

    async def _wait_ready(self, need_key: bool) -> None:
        """Wait until the core exists (zone known) and, if asked, the key arrived.

        Replays and simulations give up after ``ready_wait_s``; a live agent waits as long
        as it takes (the hub may be down at boot), saying so once a minute.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        next_note = started + 60.0
        while not self._stop.is_set():
            if self._unpaired is not None:
                raise NotPairedError(f"pairing required: {self._unpaired}")
            if self.core is not None and (self._key is not None or not need_key):
                return
            what = "a zone" if self.core is None else "a pseudonym key"
            waited = loop.time() - started
            if not self.options.live and waited >= self.options.ready_wait_s:
                raise AgentError(
                    f"the hub gave no {what} within {self.options.ready_wait_s:.0f} s "
                    f"(link: {self.link.state.value}, {self.link.detail})"
                )
            if loop.time() >= next_note:
                next_note += 60.0
                _log.warning(
                    "still waiting for %s from the hub (%s: %s)",
                    what,
                    self.link.state.value,
                    self.link.detail,
                )
            self._ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), 1.0)

    # -- running ------------------------------------------------------------------

    async def run(self) -> int:
        """Run until the input ends (replay, simulation with a duration) or cancelled.

        Returns how many events were handed to the outbox.
        """
        credentials = self.link.credentials
        if credentials is not None and credentials.zone:
            self._use_zone(credentials.zone)  # count before the hub answers (key permitting)
        link_task = asyncio.create_task(self.link.run(), name="cimaise-beacon-link")
        try:
            if self.options.record is not None:
                self._recording = await asyncio.to_thread(open_for_recording, self.options.record)
            await self._wait_ready(need_key=not self.options.live)
            if self._stop.is_set():
                pass
            elif self.options.replay is not None:
                await self._replay(self.options.replay)
            elif self.options.simulate:
                await self._simulate()
            else:
                await self._scan()
            if self.core is not None:
                self.core.finish(self._now)
            await self._send_events()
            stopped = self._stop.is_set()  # asked to stop: events wait in the outbox for later
            if (
                not self.options.live
                and not stopped
                and not await self.link.flushed(self.options.flush_wait_s)
            ):
                raise AgentError(
                    f"events still wait in the outbox after {self.options.flush_wait_s:.0f} s "
                    f"(link: {self.link.state.value}, {self.link.detail})"
                )
            return self.sent
        finally:
            self.link.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await link_task
            if self._recording is not None:
                if self._record_lines:
                    self._recording.write(b"".join(self._record_lines))
                self._recording.close()
            self.outbox.close()

    def request_stop(self) -> None:
        """Finish soon (SIGTERM, Ctrl-C): visits in progress end, events are kept."""
        self._stop.set()

    def _rebase(self, now: float) -> None:
        """Move the core's clock (replay, simulation): counting starts again at ``now``."""
        self._now = now
        if self.core is not None and self._key is not None:
            self.core.set_key(None, now)
            self.core.set_key(self._key, now)

    def _check_link(self) -> bool:
        """False when asked to stop; raises when the hub wants the device paired again."""
        if self._unpaired is not None:
            raise NotPairedError(f"pairing required: {self._unpaired}")
        return not self._stop.is_set()

    async def _replay(self, path: Path) -> None:
        speed = 1.0 if self.options.speed is None else self.options.speed
        start_wall = self.clock()
        end_t = last_trace_time(path)
        # fast replays end "now"; real-time replays start now
        base = start_wall - end_t if speed == 0 or speed > 1 else start_wall
        t0 = first_trace_time(path)
        until = math.inf if self.options.duration is None else t0 + self.options.duration
        self._rebase(base + t0)
        next_pump = start_wall + (FAST_PUMP_S if speed == 0 else PUMP_S)
        core = self.core
        assert core is not None
        cached = core.cached
        remember = core.remember
        classify = core.classify
        lines_fed = 0
        first_t: float | None = None
        done = False
        now = self._now
        for first_line, lines in read_replay_blocks(path):
            if done or not self._check_link():
                break
            core = self.core  # a zone change on the hub swaps the core
            assert core is not None
            cached, remember, classify = core.cached, core.remember, core.classify
            feed = core.feed_classified
            for offset, line in enumerate(lines):
                t = line.t
                if t > until:
                    done = True
                    break
                key = (bytes(line.manufacturer_data), bytes(line.service_data))
                classified = cached(key)
                if classified is None:
                    try:
                        mfg, svc = decode_payload(line)
                    except (ValueError, msgspec.ValidationError, msgspec.DecodeError) as exc:
                        raise TraceError(path, first_line + offset, f"bad payload: {exc}") from None
                    classified = remember(key, classify(mfg, svc))
                if speed > 0:
                    if first_t is None:
                        first_t = t
                    delay = start_wall + (t - first_t) / speed - self.clock()
                    if delay > 0:
                        self._now = base + t
                        await self._send_events()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._stop.wait(), delay)
                        if self._stop.is_set():
                            done = True
                            break
                now = base + t
                feed(classified, line.address, line.rssi, line.tx_power, now)
                lines_fed += 1
            self._now = now
            if self.clock() >= next_pump or speed > 0:
                # one outbox commit (an fsync) per pump, not per block; fast replays pump
                # rarely: their events wait in memory for at most FAST_PUMP_S
                next_pump = self.clock() + (FAST_PUMP_S if speed == 0 else PUMP_S)
                await self._send_events()
            await asyncio.sleep(0)
        self._now = min(self.clock(), base + end_t) if speed == 0 else self._now
        _log.info("replay of %s done: %d advertisements", path.name, lines_fed)

    def _gallery(self, seed: int) -> GallerySimulation:
        """A simulated gallery from the manifest's zones and beacons (or the demo's)."""
        zone = self.zone
        assert zone is not None
        beacons = tuple(self.manifest.beacons) if self.manifest else ()
        zones = tuple(z.id for z in self.manifest.zones) if self.manifest else ()
        if zone.id not in zones:
            zones = (*zones, zone.id) if zones else ("zone-a", "zone-b", "zone-c", zone.id)
            zones = tuple(dict.fromkeys(zones))
        return GallerySimulation(
            SimConfig(seed=seed, zones=zones, listen_zone=zone.id, beacons=beacons)
        )

    async def _simulate(self) -> None:
        speed = 1.0 if self.options.speed is None else self.options.speed
        start_wall = self.clock()
        duration = self.options.duration
        warm = self.options.warmup_s if speed > 0 else 0.0
        end = math.inf if duration is None else duration + warm
        base = start_wall - (duration or 0.0) if speed == 0 else start_wall - warm
        next_pump = start_wall + PUMP_S
        self._rebase(base)
        offset = 0.0  # trace time at which the current simulated gallery started
        restarts = 0
        while offset < end and not self._stop.is_set():
            manifest = self.manifest
            sim = self._gallery(self.options.seed + restarts)
            restarts += 1
            for record in sim.records(end - offset):
                if not self._check_link():
                    return
                t = offset + record.t
                now = base + t
                if speed > 0 and t > warm:
                    delay = start_wall + (t - warm) / speed - self.clock()
                    if delay > 0:
                        self._now = now
                        await self._send_events()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._stop.wait(), delay)
                        if self._stop.is_set():
                            return
                elif self.clock() >= next_pump:
                    next_pump = self.clock() + PUMP_S
                    await self._send_events()
                    await asyncio.sleep(0)
                core = self.core
                assert core is not None
                self._now = now
                if self._recording is not None:
                    self._record_lines.append(
                        encode_record(msgspec.structs.replace(record, t=round(t, 3)))
                    )
                key = (*record.manufacturer_data.items(), *record.service_data.items())
                classified = core.cached(key)
                if classified is None:
                    mfg, svc = record.payload()
                    classified = core.remember(key, core.classify(mfg, svc))
                core.feed_classified(classified, record.address, record.rssi, record.tx_power, now)
                if self.manifest is not manifest:
                    # new content (zones, beacons): the gallery is simulated again from it
                    offset = t
                    break
            else:
                return

    def _on_advert(self, advert: Advert) -> None:
        """The scanner's sink (in the event loop): record if asked, then feed the core."""
        self._now = advert.now
        if self._recording is not None:
            if self._record_t0 is None:
                self._record_t0 = advert.now
            self._record_lines.append(
                record_line(
                    advert.now - self._record_t0,
                    advert.address,
                    advert.rssi,
                    advert.tx_power,
                    advert.local_name,
                    advert.manufacturer_data,
                    advert.service_data,
                    advert.service_uuids,
                )
            )
        if self.core is not None:
            self.core.feed_advert(advert)

    async def _scan(self) -> None:
        from beacon_agent.scanner import Scanner

        options = self.options
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(
                Scanner(
                    self._on_advert,
                    adapter=options.adapter,
                    passive=options.passive,
                    clock=self.clock,
                )
            )
            if options.advertise is not False:
                await self._start_advertising(stack)
            started = self.clock()
            while options.duration is None or self.clock() - started < options.duration:
                if not self._check_link():
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), PUMP_S)
                self._now = self.clock()
                if self.core is not None:
                    self.core.tick(self._now)
                await self._send_events()

    async def _start_advertising(self, stack: contextlib.AsyncExitStack) -> None:
        from beacon_agent.advertiser import Advertiser, AdvertisingError

        zone = self.zone
        beacons = self.manifest.beacons if self.manifest else []
        mine = [b for b in beacons if b.kind == "agent" and zone is not None and b.zone == zone.id]
        if not mine:
            _log.warning("no agent beacon for this zone in the content: not advertising")
            return
        credentials = self.link.credentials
        link_base = self.options.link_base or (credentials.hub_url if credentials else None)
        contents = agent_advertisements(mine[0], link_base)
        try:
            await stack.enter_async_context(Advertiser(contents, self.options.adapter or "hci0"))
        except AdvertisingError as exc:
            _log.error("not advertising: %s", exc)
