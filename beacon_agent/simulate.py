"""A simulated gallery, as one agent's radio would hear it. Deterministic for a seed.

Rooms (zones) sit side by side, 12 m x 8 m each, with an agent in the middle of each.
Visitors arrive at random, walk from room to room (sometimes skipping one), stand in
front of artworks for a while, and leave. Their phones advertise about once a second
with random private addresses that rotate about every 15 minutes (as Android and
iOS do), with payloads like real phones' (Apple continuity, Google Fast Pair,
Microsoft Swift Pair). The museum's fixed tags advertise their iBeacon /
Eddystone-UID identity and Eddystone-TLM telemetry; the other agents their iBeacon.

RSSI follows the log-distance model (``distance.rssi_at``) with 8 dB per wall,
Gaussian noise, and lost packets. The output is trace records (``trace.TraceRecord``)
in time order, made lazily, so a simulation can run for days in constant memory.
``truth`` lists what really happened in the listening zone, for tests.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from beacon_agent.distance import rssi_at
from beacon_agent.frames import (
    APPLE_COMPANY_ID,
    EDDYSTONE_UUID,
    EddystoneTlm,
    EddystoneUid,
    IBeacon,
    encode_eddystone,
    encode_ibeacon,
)
from beacon_agent.trace import TraceRecord
from hub.client.manifest import Beacon, IBeaconId
from hub.client.manifest import EddystoneUid as UidId

ROOM_W: Final = 12.0
ROOM_H: Final = 8.0
WALL_DB: Final = 8.0
SENSITIVITY_DBM: Final = -98
DEMO_UUID: Final = "c1a15e00-7a1e-4e5a-9c1a-15e000000001"
DEMO_NAMESPACE: Final = "c1a15e007a1e4e5a9c1a"

# Payloads of phones, as scanners see them (company id -> data, or service data).
_PHONE_PAYLOADS: Final[tuple[tuple[dict[int, str], dict[str, str]], ...]] = (
    ({APPLE_COMPANY_ID: "1005{b}1c{r}"}, {}),  # Apple "nearby info"
    ({APPLE_COMPANY_ID: "100703{b}18{r}"}, {}),
    ({}, {"0000fe2c-0000-1000-8000-00805f9b34fb": "00{r}"}),  # Google Fast Pair
    ({0x0006: "010920{b}{r}"}, {}),  # Microsoft Swift Pair
    ({0x0075: "4204018066{r}"}, {}),  # Samsung
)


def demo_beacons(zones: Sequence[str] = ("zone-a", "zone-b", "zone-c")) -> list[Beacon]:
    """A plausible set of museum beacons: four fixed tags per room, one agent per room."""
    beacons: list[Beacon] = []
    for z, zone in enumerate(zones):
        for k in range(4):
            n = z * 4 + k + 1
            beacons.append(
                Beacon(
                    id=f"t{n:02d}",
                    kind="fixed",
                    ibeacon=IBeaconId(uuid=DEMO_UUID, major=1, minor=n),
                    eddystone_uid=UidId(namespace=DEMO_NAMESPACE, instance=f"{n:012x}"),
                    zone=zone,
                    artwork=f"art-{n:02d}",
                    measured_power=-62,
                )
            )
        beacons.append(
            Beacon(
                id=f"agent-{zone}",
                kind="agent",
                ibeacon=IBeaconId(uuid=DEMO_UUID, major=100, minor=z + 1),
                zone=zone,
                measured_power=-59,
            )
        )
    return beacons


@dataclass(frozen=True, slots=True)
class SimConfig:
    """What the simulated gallery looks like."""

    seed: int = 1
    zones: tuple[str, ...] = ("zone-a", "zone-b", "zone-c")
    listen_zone: str = "zone-a"
    beacons: tuple[Beacon, ...] = ()  # default: demo_beacons(zones)
    arrival_every_s: float = 25.0  # mean time between two visitors
    dwell_mean_s: float = 150.0  # mean time in a room
    phone_share: float = 0.85  # visitors whose phone advertises
    phone_interval_s: float = 1.0
    rotation_s: float = 900.0
    loss: float = 0.25
    noise_db: float = 4.0
    # deep fades (a body between phone and agent, multipath): this share of samples
    # loses 5-20 dB more; BLE RSSI noise is heavy-tailed, not Gaussian
    fade_share: float = 0.15
    tag_interval_s: float = 1.0
    tlm_every: int = 10  # one TLM frame every this many tag advertisements


@dataclass(frozen=True, slots=True)
class TrueVisit:
    """What really happened: visitor number, zone, when they were in the room."""

    visitor: int
    zone: str
    start: float
    end: float
    phone: bool  # whether the visitor's phone advertises (only those can be counted)


@dataclass(slots=True)
class _Phone:
    visitor: int
    # (t_from, t_to, x0, y0, x1, y1): linear moves and stops (x0 == x1, y0 == y1)
    path: list[tuple[float, float, float, float, float, float]]
    leaves: float
    payload: tuple[dict[int, str], dict[str, str]]
    tx_power: int | None
    address: str = ""
    rotate_at: float = 0.0
    seg: int = 0

    def position(self, t: float) -> tuple[float, float]:
        path = self.path
        while self.seg < len(path) - 1 and t >= path[self.seg][1]:
            self.seg += 1
        t0, t1, x0, y0, x1, y1 = path[self.seg]
        f = 0.0 if t1 <= t0 else min(1.0, max(0.0, (t - t0) / (t1 - t0)))
        return x0 + (x1 - x0) * f, y0 + (y1 - y0) * f


@dataclass(slots=True)
class _Tag:
    address: str
    x: float
    y: float
    power: int
    frames: list[tuple[dict[int, str], dict[str, str]]]
    tlm: bool
    count: int = 0
    battery_mv: int = 3000
    started: float = field(default=0.0)


def _random_address(rng: random.Random, static: bool) -> str:
    first = rng.randrange(256)
    # private resolvable addresses start 01..., static random ones 11...
    first = (first & 0x3F) | (0xC0 if static else 0x40)
    rest = [rng.randrange(256) for _ in range(5)]
    return ":".join(f"{b:02X}" for b in [first, *rest])


class GallerySimulation:
    """The records one agent hears in a simulated gallery (lazily, forever)."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config = config or SimConfig()
        self.rng = random.Random(config.seed)
        self.zones = list(config.zones)
        beacons = list(config.beacons) or demo_beacons(self.zones)
        self.beacons = beacons
        self.listen = self.zones.index(config.listen_zone)
        self.me = (self.listen * ROOM_W + ROOM_W / 2, ROOM_H / 2)
        self.truth: list[TrueVisit] = []
        self._visitors = 0
        #: phone address -> visitor number (in memory, for tests and benchmarks only)
        self.owners: dict[str, int] = {}

    def _room_of(self, x: float) -> int:
        return min(len(self.zones) - 1, max(0, int(x // ROOM_W)))

    def _rssi(self, x: float, y: float, power: float) -> float:
        d = math.hypot(x - self.me[0], y - self.me[1])
        walls = abs(self._room_of(x) - self.listen)
        rssi = rssi_at(d, power) - WALL_DB * walls + self.rng.gauss(0.0, self.config.noise_db)
        if self.rng.random() < self.config.fade_share:
            rssi -= self.rng.uniform(5.0, 20.0)
        return rssi

    def _tags(self) -> list[_Tag]:
        tags = []
        for beacon in self.beacons:
            zone = beacon.zone if beacon.zone in self.zones else self.zones[0]
            z = self.zones.index(zone)
            if beacon.kind == "agent":
                if z == self.listen:
                    continue  # this agent's own advertisement is not heard by itself
                x, y = z * ROOM_W + ROOM_W / 2, ROOM_H / 2
            else:
                x = z * ROOM_W + self.rng.uniform(1, ROOM_W - 1)
                y = self.rng.choice((0.3, ROOM_H - 0.3))
            power = beacon.measured_power or -59
            frames: list[tuple[dict[int, str], dict[str, str]]] = []
            if beacon.ibeacon is not None:
                ident = beacon.ibeacon
                frame = IBeacon(ident.uuid.replace("-", ""), ident.major, ident.minor, power)
                frames.append(({APPLE_COMPANY_ID: encode_ibeacon(frame).hex()}, {}))
            if beacon.eddystone_uid is not None:
                uid = beacon.eddystone_uid
                data = encode_eddystone(EddystoneUid(uid.namespace, uid.instance, power + 41))
                frames.append(({}, {EDDYSTONE_UUID: data.hex()}))
            if frames:
                tags.append(
                    _Tag(
                        address=_random_address(self.rng, static=True),
                        x=x,
                        y=y,
                        power=power,
                        frames=frames,
                        tlm=beacon.kind == "fixed" and beacon.eddystone_uid is not None,
                        battery_mv=self.rng.randrange(2700, 3100),
                    )
                )
        return tags

    def _new_visitor(self, t: float) -> _Phone | None:
        rng, config = self.rng, self.config
        self._visitors += 1
        number = self._visitors
        has_phone = rng.random() < config.phone_share
        path: list[tuple[float, float, float, float, float, float]] = []
        x, y = -2.0, ROOM_H / 2  # the entrance, left of the first room
        now = t
        for z, zone in enumerate(self.zones):
            if z > 0 and rng.random() < 0.15:
                continue  # skips this room
            dwell = max(10.0, rng.expovariate(1.0 / config.dwell_mean_s))
            entered = None
            room_end = now + dwell
            while True:
                tx, ty = z * ROOM_W + rng.uniform(1, ROOM_W - 1), rng.uniform(1, ROOM_H - 1)
                walk = math.hypot(tx - x, ty - y) / 1.0  # 1 m/s
                path.append((now, now + walk, x, y, tx, ty))
                now += walk
                x, y = tx, ty
                if entered is None:
                    entered = now
                stop = min(rng.uniform(15, 60), max(0.0, room_end - now))
                path.append((now, now + stop, x, y, x, y))
                now += stop
                if now >= room_end:
                    break
            self.truth.append(TrueVisit(number, zone, entered, now, has_phone))
        ex = len(self.zones) * ROOM_W + 2
        walk = math.hypot(ex - x, ROOM_H / 2 - y)
        path.append((now, now + walk, x, y, ex, ROOM_H / 2))
        now += walk
        if not has_phone:
            return None
        template = rng.choice(_PHONE_PAYLOADS)
        fill = {"b": f"{rng.randrange(256):02x}", "r": f"{rng.getrandbits(32):08x}"}
        payload = (
            {k: v.format(**fill) for k, v in template[0].items()},
            {k: v.format(**fill) for k, v in template[1].items()},
        )
        tx_power = rng.choice((None, None, 12, 7))
        phone = _Phone(number, path, now, payload, tx_power)
        phone.address = _random_address(rng, static=False)
        self.owners[phone.address] = number
        phone.rotate_at = t + rng.uniform(0, config.rotation_s)
        return phone

    def records(self, duration_s: float | None = None) -> Iterator[TraceRecord]:
        """Records in time order (t from 0), for duration_s seconds or forever."""
        rng, config = self.rng, self.config
        end = math.inf if duration_s is None else duration_s
        heap: list[tuple[float, int, int]] = []  # (time, order, entity); entity -1: arrival
        tags = self._tags()
        phones: dict[int, _Phone] = {}
        order = 0
        for i in range(len(tags)):
            heapq.heappush(heap, (rng.uniform(0, config.tag_interval_s), order, i))
            order += 1
        heapq.heappush(heap, (0.0, order, -1))
        next_phone_id = len(tags)
        while heap:
            t, _, entity = heapq.heappop(heap)
            if t >= end:
                return
            order += 1
            if entity == -1:  # a visitor arrives
                phone = self._new_visitor(t)
                if phone is not None:
                    phones[next_phone_id] = phone
                    heapq.heappush(heap, (t + rng.uniform(0, 1), order, next_phone_id))
                    next_phone_id += 1
                gap = rng.expovariate(1.0 / config.arrival_every_s)
                heapq.heappush(heap, (t + gap, order, -1))
                continue
            if entity < len(tags):
                tag = tags[entity]
                heapq.heappush(heap, (t + config.tag_interval_s, order, entity))
                tag.count += 1
                if rng.random() < config.loss:
                    continue
                rssi = self._rssi(tag.x, tag.y, tag.power)
                if rssi < SENSITIVITY_DBM:
                    continue
                if tag.tlm and tag.count % config.tlm_every == 0:
                    tlm = EddystoneTlm(
                        battery_mv=tag.battery_mv - int(t / 86400 * 3),
                        temperature_c=20.0 + round(rng.uniform(-1, 1), 1),
                        adv_count=tag.count,
                        uptime_s=round(t, 1),
                    )
                    mfg: dict[int, str] = {}
                    svc = {EDDYSTONE_UUID: encode_eddystone(tlm).hex()}
                else:
                    mfg, svc = tag.frames[tag.count % len(tag.frames)]
                yield TraceRecord(
                    t=round(t, 3),
                    address=tag.address,
                    rssi=round(rssi),
                    manufacturer_data=mfg,
                    service_data=svc,
                    service_uuids=[EDDYSTONE_UUID] if svc else [],
                )
                continue
            phone = phones[entity]
            if t >= phone.leaves:
                del phones[entity]
                continue
            heapq.heappush(
                heap, (t + config.phone_interval_s * rng.uniform(0.8, 1.2), order, entity)
            )
            if t >= phone.rotate_at:
                phone.address = _random_address(rng, static=False)
                self.owners[phone.address] = phone.visitor
                phone.rotate_at = t + config.rotation_s * rng.uniform(0.9, 1.1)
            if rng.random() < config.loss:
                continue
            x, y = phone.position(t)
            rssi = self._rssi(x, y, -59)
            if rssi < SENSITIVITY_DBM:
                continue
            yield TraceRecord(
                t=round(t, 3),
                address=phone.address,
                rssi=round(min(rssi, -30)),
                tx_power=phone.tx_power,
                manufacturer_data=phone.payload[0],
                service_data=phone.payload[1],
            )
