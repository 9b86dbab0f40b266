"""The agent's core: parse -> classify -> pseudonymize -> track. Sans-IO, ``now`` passed in.

Fed advertisements (from the bleak adapter, a trace or the simulator), it keeps the
fixed beacons' health and hands visitor candidates, under their pseudonym, to the
tracker. A device that sends a beacon frame is a beacon, never a visitor: museum
beacons are reported (fixed tags) or ignored (other agents), foreign beacons ignored.

Hot path: the classification of a payload is cached per distinct payload bytes and
the pseudonym per address, so one advertisement costs two dictionary look-ups and
one filter update.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from beacon_agent.distance import DEFAULT_POWER_AT_1M, EDDYSTONE_0M_TO_1M_DB
from beacon_agent.frames import (
    EddystoneTlm,
    EddystoneUid,
    IBeacon,
    parse_advertisement,
)
from beacon_agent.health import BeaconHealth, BeaconIdentities, HealthBook
from beacon_agent.pseudonym import Pseudonymizer, PseudonymKey
from beacon_agent.tracker import Tracker, TrackerConfig
from hub.client.events import Occupancy, Visit
from hub.client.manifest import Beacon

VISITOR: Final = 0  # no beacon frame: a phone, a watch... a visitor candidate
FIXED: Final = 1  # one of the museum's fixed tags
AGENT: Final = 2  # another agent (or this one)
FOREIGN: Final = 3  # a beacon that is not the museum's
TELEMETRY: Final = 4  # an Eddystone-TLM frame: health of whichever beacon sent it

Classified = tuple[int, str | None, EddystoneTlm | None]
_VISITOR_CLASS: Final[Classified] = (VISITOR, None, None)

#: distinct payloads remembered; phones' payloads vary, so the cache is bounded
MAX_CACHED_PAYLOADS: Final = 20_000
#: seconds between housekeeping passes (lost devices, key expiry)
TICK_S: Final = 2.0


class Advert(NamedTuple):
    """One advertisement as the core takes it, whatever heard it (radio, trace, simulator)."""

    address: str
    rssi: int
    tx_power: int | None
    local_name: str | None
    manufacturer_data: Mapping[int, bytes]
    service_data: Mapping[str, bytes]
    service_uuids: Sequence[str]
    now: float  # Unix seconds


@dataclass(slots=True)
class CoreStats:
    """Counters since start, for the heartbeat and the logs."""

    adverts: int = 0
    visitor_samples: int = 0
    beacon_samples: int = 0
    without_key: int = 0
    visits: int = 0
    occupancy: int = 0


def classify(
    manufacturer_data: Mapping[int, bytes],
    service_data: Mapping[str, bytes],
    identities: BeaconIdentities,
) -> Classified:
    """What an advertisement's payload says about its sender."""
    frame = parse_advertisement(manufacturer_data, service_data)
    if frame is None:
        return _VISITOR_CLASS
    beacon: Beacon | None = None
    if isinstance(frame, IBeacon):
        beacon = identities.ibeacons.get((frame.uuid, frame.major, frame.minor))
    elif isinstance(frame, EddystoneUid):
        beacon = identities.eddystone.get((frame.namespace, frame.instance))
    elif isinstance(frame, EddystoneTlm):
        return (TELEMETRY, None, frame)
    if beacon is None:
        return (FOREIGN, None, None)
    return (AGENT if beacon.kind == "agent" else FIXED, beacon.id, None)


class AgentCore:
    """One agent's pipeline from advertisements to visit and occupancy events."""

    def __init__(self, config: TrackerConfig, beacons: Iterable[Beacon] = ()) -> None:
        self.tracker = Tracker(config)
        self._observe = self.tracker.observe
        self.pseudonyms = Pseudonymizer()
        self.health = HealthBook()
        self._visitor_samples = 0
        self._beacon_samples = 0
        self._without_key = 0
        self._visits = 0
        self._occupancy = 0
        self._identities = BeaconIdentities(beacons)
        self._cache: dict[Hashable, Classified] = {}
        self._next_tick = 0.0

    def set_beacons(self, beacons: Iterable[Beacon]) -> None:
        """The museum's beacons changed (a new manifest)."""
        self._identities = BeaconIdentities(beacons)
        self._cache.clear()

    def set_key(self, key: PseudonymKey | None, now: float) -> None:
        """Use the hub's pseudonym key; a new key ends visits made under the old one."""
        if not self.pseudonyms.set_key(key):
            return
        self.tracker.stop(now)
        if key is not None:
            self.tracker.start(now)

    # -- feeding -----------------------------------------------------------------

    def feed(
        self,
        address: str,
        rssi: float,
        tx_power: int | None,
        manufacturer_data: Mapping[int, bytes],
        service_data: Mapping[str, bytes],
        now: float,
    ) -> None:
        """One advertisement as a scanner reports it."""
        # one flat tuple: (company id, bytes) and (uuid, bytes) pairs never collide
        key = (*manufacturer_data.items(), *service_data.items())
        classified = self._cache.get(key)
        if classified is None:
            classified = self.remember(
                key, classify(manufacturer_data, service_data, self._identities)
            )
        self.feed_classified(classified, address, rssi, tx_power, now)

    def feed_advert(self, advert: Advert) -> None:
        """One advertisement from the scanner adapter or the simulator."""
        self.feed(
            advert.address,
            advert.rssi,
            advert.tx_power,
            advert.manufacturer_data,
            advert.service_data,
            advert.now,
        )

    def cached(self, key: Hashable) -> Classified | None:
        """The classification of a payload key seen before, or None."""
        return self._cache.get(key)

    def classify(
        self, manufacturer_data: Mapping[int, bytes], service_data: Mapping[str, bytes]
    ) -> Classified:
        """Classify a payload against the museum's beacons (not cached)."""
        return classify(manufacturer_data, service_data, self._identities)

    def remember(self, key: Hashable, classified: Classified) -> Classified:
        """Cache a payload key's classification."""
        cache = self._cache
        if len(cache) >= MAX_CACHED_PAYLOADS:
            cache.clear()
        cache[key] = classified
        return classified

    def feed_classified(
        self, classified: Classified, address: str, rssi: float, tx_power: int | None, now: float
    ) -> None:
        """One advertisement whose payload is already classified (the hot path)."""
        if now >= self._next_tick:
            self.tick(now)
        kind = classified[0]
        if kind == VISITOR:
            pseudonym = self.pseudonyms.cache.get(address)
            if pseudonym is None:
                pseudonym = self.pseudonyms.pseudonym(address)
                if pseudonym is None:
                    self._without_key += 1
                    return
            self._visitor_samples += 1
            self._observe(
                pseudonym,
                rssi,
                now,
                DEFAULT_POWER_AT_1M if tx_power is None else tx_power - EDDYSTONE_0M_TO_1M_DB,
            )
            return
        self._beacon_samples += 1
        if kind == FIXED:
            beacon_id = classified[1]
            assert beacon_id is not None
            self.health.heard(beacon_id, address, rssi, now)
        elif kind == TELEMETRY:
            tlm = classified[2]
            assert tlm is not None
            self.health.telemetry(address, tlm, rssi, now)

    @property
    def stats(self) -> CoreStats:
        """Counters since start."""
        return CoreStats(
            adverts=self._visitor_samples + self._beacon_samples + self._without_key,
            visitor_samples=self._visitor_samples,
            beacon_samples=self._beacon_samples,
            without_key=self._without_key,
            visits=self._visits,
            occupancy=self._occupancy,
        )

    def tick(self, now: float) -> None:
        """Housekeeping: key expiry, devices no longer heard, occupancy intervals."""
        self._next_tick = now + TICK_S
        if self.pseudonyms.expire(now):
            self.tracker.stop(now)
        self.tracker.tick(now)

    def finish(self, now: float) -> None:
        """End of input (replay done, shutdown): close visits and the current interval."""
        self.tracker.stop(now)

    # -- outputs -----------------------------------------------------------------

    def events(self) -> list[Visit | Occupancy]:
        """Events made since the last call."""
        out = self.tracker.events()
        for event in out:
            if isinstance(event, Visit):
                self._visits += 1
            else:
                self._occupancy += 1
        return out

    def beacon_health(self) -> list[BeaconHealth]:
        """Health of the museum's fixed beacons heard so far."""
        return self.health.report()
