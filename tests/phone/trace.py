"""BLE traces of a visitor's walk, in the DESIGN.md JSON Lines format.

The museum's beacons advertise iBeacon and Eddystone-UID frames (encoded by the
beacon agent's encoders), each from its own address; other devices around (a
watch, earbuds, another building's beacons) advertise too and must be ignored.
"""

from __future__ import annotations

import random
from pathlib import Path

from beacon_agent.frames import EddystoneUid, IBeacon, encode_eddystone, encode_ibeacon
from beacon_agent.trace import TraceRecord, write_trace
from hub.client.manifest import Beacon
from tests.phone.walk import Walk, walk_past

EDDYSTONE = "0000feaa-0000-1000-8000-00805f9b34fb"


def beacon_payload(beacon: Beacon, eddystone: bool) -> tuple[dict[int, str], dict[str, str]]:
    if eddystone and beacon.eddystone_uid is not None:
        frame = EddystoneUid(beacon.eddystone_uid.namespace, beacon.eddystone_uid.instance, -20)
        return {}, {EDDYSTONE: encode_eddystone(frame).hex()}
    assert beacon.ibeacon is not None
    b = beacon.ibeacon
    ibeacon = IBeacon(b.uuid.replace("-", ""), b.major, b.minor, beacon.measured_power or -59)
    return {0x004C: encode_ibeacon(ibeacon).hex()}, {}


def stranger_payload(rng: random.Random) -> tuple[dict[int, str], dict[str, str]]:
    kind = rng.randrange(4)
    if kind == 0:  # another organisation's iBeacon
        frame = IBeacon("0" * 31 + "1", rng.randrange(65536), rng.randrange(65536), -59)
        return {0x004C: encode_ibeacon(frame).hex()}, {}
    if kind == 1:  # an Eddystone-UID of another namespace
        uid = EddystoneUid("ab" * 10, f"{rng.randrange(2**48):012x}", -20)
        return {}, {EDDYSTONE: encode_eddystone(uid).hex()}
    if kind == 2:  # a phone's or a watch's Apple "nearby" data
        return {0x004C: "1005" + f"{rng.randrange(2**40):010x}"}, {}
    return {0x0075: f"{rng.randrange(2**64):016x}"}, {}  # some other vendor's device


def write_walk_trace(
    path: Path, beacons: list[Beacon], *, seed: int = 7, strangers: int = 4, **walk: float
) -> Walk:
    """Write the trace of a walk past ``beacons`` (wall order); returns the walk's truth."""
    by_id = {b.id: b for b in beacons}
    pairs = [(b.id, b.artwork or "") for b in beacons]
    scripted, others = walk_past(pairs, seed=seed, strangers=strangers, **walk)  # type: ignore[arg-type]
    rng = random.Random(seed)
    addresses = {b.id: f"C3:00:00:00:00:{i:02X}" for i, b in enumerate(beacons)}
    records: list[TraceRecord] = []
    for n, s in enumerate(scripted.sightings):
        mfg, svc = beacon_payload(by_id[s.beacon], eddystone=n % 3 == 0)
        records.append(
            TraceRecord(
                t=s.t,
                address=addresses[s.beacon],
                rssi=s.rssi,
                manufacturer_data=mfg,
                service_data=svc,
            )
        )
    for t, who, rssi in others:
        mfg, svc = stranger_payload(rng)
        address = f"5A:{int(who.split('-')[1]):02X}:{rng.randrange(256):02X}:00:00:01"
        records.append(
            TraceRecord(t=t, address=address, rssi=rssi, manufacturer_data=mfg, service_data=svc)
        )
    records.sort(key=lambda r: r.t)
    write_trace(path, records)
    return scripted
