"""The hub's disk fills up: ingest answers a clear 503, nothing acknowledged is lost, the
database stays sound, and ingest resumes by itself once space is freed.

The hub's data folder lives on a small tmpfs mounted by the test (root is needed to mount;
the test says so and is skipped where it cannot mount).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.client.api import HubClient, HubRequestError
from tests.faults.devices import interaction
from tests.faults.processes import HubProcess, integrity, stored_event_ids

SIZE_MB = 16
HEADROOM = 384 * 1024  # bytes left free for the hub once the ballast is written


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m,mode=0755", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)
        if os.path.ismount(mount_point):
            subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(mount_point: Path, leave: int) -> Path:
    """Write a ballast file so only ``leave`` bytes stay free."""
    stats = os.statvfs(mount_point)
    free = stats.f_bavail * stats.f_frsize
    ballast = mount_point / "ballast"
    with ballast.open("wb") as fh:
        remaining = max(0, free - leave)
        chunk = b"\0" * (1 << 20)
        while remaining > 0:
            remaining -= fh.write(chunk[: min(len(chunk), remaining)])
    return ballast


async def test_disk_full_gives_a_clear_503_and_recovers(small_disk: Path, tmp_path: Path) -> None:
    hub = HubProcess(small_disk / "hub", tmp_path / "logs")
    await asyncio.to_thread(hub.start_and_wait)
    rng = random.Random(5)
    acked: set[str] = set()
    try:
        code = await asyncio.to_thread(hub.pair, "kiosk", "kiosk-disk", "zone-a")
        async with HubClient(hub.url, timeout=10) as client:
            await client.enroll(code, "kiosk", "kiosk-disk")
            ballast = fill(small_disk, HEADROOM)

            refused: HubRequestError | None = None
            pending: list[tuple[str, bytes]] = []
            for _ in range(400):  # bounded: HEADROOM holds far fewer batches than this
                pending = [interaction("d15cf011") for _ in range(rng.randint(50, 150))]
                try:
                    await client.send_raw([body for _, body in pending])
                except HubRequestError as exc:
                    refused = exc
                    break
                acked.update(i for i, _ in pending)
            assert refused is not None, "the disk never filled up"
            assert refused.status == 503, f"{refused.status} {refused.code}: {refused.detail}"
            words = refused.detail.lower()
            assert any(w in words for w in ("disk", "space", "full", "storage")), refused.detail
            assert hub.running, "the hub must stay up on a full disk"
            # Health says so too (a monitoring system notices).
            status, _ = await asyncio.to_thread(_healthz, hub.url)
            assert status == 503

            ballast.unlink()
            reply = await client.send_raw([body for _, body in pending])
            assert reply.accepted + reply.duplicates == len(pending)
            acked.update(i for i, _ in pending)
            status, _ = await asyncio.to_thread(_healthz, hub.url)
            assert status == 200
    finally:
        hub.stop()
    stored = stored_event_ids(hub.db)
    assert len(stored) == len(set(stored))
    assert acked == set(stored)
    assert integrity(hub.db) == "ok"
    print(f"disk full: {len(acked)} events acknowledged and kept, refused with: {refused.detail}")


def _healthz(url: str) -> tuple[int, bytes]:
    from cimaise.demo import http_get

    with contextlib.suppress(Exception):
        return http_get(f"{url}/healthz", 5)
    return 0, b""
