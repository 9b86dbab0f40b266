"""Which museum beacon an advertisement comes from: the pack's identities, nothing else.

Pure. Frames are parsed by the beacon agent's parser (:mod:`beacon_agent.frames`);
an advertisement whose frame is not one of the museum's identities gives None and
the caller drops it on the spot (no address, no RSSI, nothing kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from beacon_agent.frames import EddystoneUid, IBeacon, parse_advertisement
from hub.client.manifest import Beacon

# (kind, id fields...) in canonical lower-case hex
Identity = tuple[str, ...]


def _uuid_hex(uuid: str) -> str:
    return uuid.replace("-", "").lower()


def identities(beacon: Beacon) -> list[Identity]:
    """The air identities of one museum beacon (iBeacon and/or Eddystone-UID)."""
    out: list[Identity] = []
    if beacon.ibeacon is not None:
        b = beacon.ibeacon
        out.append(("ibeacon", _uuid_hex(b.uuid), str(b.major), str(b.minor)))
    if beacon.eddystone_uid is not None:
        e = beacon.eddystone_uid
        out.append(("eddystone", e.namespace.lower(), e.instance.lower()))
    return out


class BeaconIndex:
    """Matches advertisements to the museum's beacon ids."""

    def __init__(self, beacons: Iterable[Beacon]) -> None:
        self._by_identity: dict[Identity, str] = {}
        self.artwork_of: dict[str, str | None] = {}
        for beacon in beacons:
            self.artwork_of[beacon.id] = beacon.artwork
            for identity in identities(beacon):
                self._by_identity[identity] = beacon.id

    def __len__(self) -> int:
        return len(self.artwork_of)

    def match(
        self, manufacturer_data: Mapping[int, bytes], service_data: Mapping[str, bytes]
    ) -> str | None:
        """The museum beacon id an advertisement's payload names, or None."""
        frame = parse_advertisement(manufacturer_data, service_data)
        identity: Identity
        if isinstance(frame, IBeacon):
            identity = ("ibeacon", frame.uuid, str(frame.major), str(frame.minor))
        elif isinstance(frame, EddystoneUid):
            identity = ("eddystone", frame.namespace.lower(), frame.instance.lower())
        else:
            return None
        return self._by_identity.get(identity)
