"""The museum's own beacons as one agent hears them: identities and health.

Built from the manifest's ``Beacon`` list. Advertisements of these identities (fixed
tags by the artworks, other agents) are never counted as visitors; for fixed tags
the agent reports when it last heard each one, how loud, and its Eddystone-TLM
telemetry (battery, temperature, advertising count, uptime) to the hub.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from beacon_agent.frames import EddystoneTlm
from beacon_agent.tracker import utc
from hub.client.manifest import Beacon

#: weight of a new RSSI sample in the reported (smoothed) level
_RSSI_ALPHA: Final = 0.2
#: at most this many beacon addresses remembered (to pair TLM frames with their tag)
_MAX_ADDRESSES: Final = 4096


@dataclass(slots=True)
class BeaconHealth:
    """What the agent knows about one fixed beacon."""

    beacon_id: str
    last_seen: float  # Unix seconds
    rssi: float
    battery_mv: int | None = None
    temperature_c: float | None = None
    adv_count: int | None = None
    uptime_s: float | None = None

    def as_report(self) -> dict[str, Any]:
        """The JSON object sent in the heartbeat's ``beacons`` list."""
        return {
            "beacon_id": self.beacon_id,
            "last_seen": utc(self.last_seen).isoformat().replace("+00:00", "Z"),
            "rssi": round(self.rssi, 1),
            "battery_mv": self.battery_mv,
            "temperature_c": None if self.temperature_c is None else round(self.temperature_c, 2),
            "adv_count": self.adv_count,
            "uptime_s": self.uptime_s,
        }


class BeaconIdentities:
    """Maps beacon identities (iBeacon, Eddystone-UID) to the museum's beacon ids."""

    def __init__(self, beacons: Iterable[Beacon] = ()) -> None:
        self.ibeacons: dict[tuple[str, int, int], Beacon] = {}
        self.eddystone: dict[tuple[str, str], Beacon] = {}
        for beacon in beacons:
            if beacon.ibeacon is not None:
                ident = beacon.ibeacon
                key = (ident.uuid.replace("-", "").lower(), ident.major, ident.minor)
                self.ibeacons[key] = beacon
            if beacon.eddystone_uid is not None:
                uid = beacon.eddystone_uid
                self.eddystone[(uid.namespace.lower(), uid.instance.lower())] = beacon


class HealthBook:
    """Health of the fixed beacons heard, keyed by beacon id."""

    def __init__(self) -> None:
        self._health: dict[str, BeaconHealth] = {}
        self._by_address: dict[str, str] = {}

    def heard(self, beacon_id: str, address: str, rssi: float, now: float) -> None:
        """A fixed beacon's identity frame was heard."""
        health = self._health.get(beacon_id)
        if health is None:
            self._health[beacon_id] = BeaconHealth(beacon_id, now, float(rssi))
        else:
            health.last_seen = now
            health.rssi += _RSSI_ALPHA * (rssi - health.rssi)
        if address not in self._by_address:
            if len(self._by_address) >= _MAX_ADDRESSES:
                self._by_address.clear()
            self._by_address[address] = beacon_id

    def telemetry(self, address: str, tlm: EddystoneTlm, rssi: float, now: float) -> bool:
        """A TLM frame; True when it belongs to a known fixed beacon (by its address)."""
        beacon_id = self._by_address.get(address)
        if beacon_id is None:
            return False
        self.heard(beacon_id, address, rssi, now)
        health = self._health[beacon_id]
        health.battery_mv = tlm.battery_mv
        health.temperature_c = tlm.temperature_c
        health.adv_count = tlm.adv_count
        health.uptime_s = tlm.uptime_s
        return True

    def report(self) -> list[BeaconHealth]:
        """Every fixed beacon heard so far, by id."""
        return [self._health[k] for k in sorted(self._health)]
