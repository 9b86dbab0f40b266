"""DeviceRegistry over a real store: what the CLI and the technicians' page call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cimaise.errors import PairingError
from hub.devices.registry import DeviceRegistry, PairingCodeUsedError, UnknownDeviceError
from hub.devices.table import devices_table
from hub.identity import load_hub_id
from hub.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_codes_expire_after_ten_minutes(tmp_path: Path) -> None:
    clock = Clock()
    async with Store(tmp_path / "hub.db") as store:
        registry = DeviceRegistry(store, clock=clock)
        late = await registry.create_pairing_code("kiosk", "late", None)
        soon = await registry.create_pairing_code("kiosk", "soon", None)
        clock.now += timedelta(minutes=9, seconds=59)
        assert (await registry.enroll(soon.code, "kiosk", "x")).device_id
        clock.now += timedelta(seconds=2)
        with pytest.raises(PairingError, match="expired"):
            await registry.enroll(late.code, "kiosk", "x")
        with pytest.raises(PairingCodeUsedError):
            await registry.enroll(soon.code, "kiosk", "x")


async def test_rename_move_and_revoke_are_seen_by_authentication(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db") as store:
        registry = DeviceRegistry(store)
        code = await registry.create_pairing_code("beacon", "agent", "room-1")
        enrollment = await registry.enroll(code.code, "beacon", "ignored")
        await registry.rename(enrollment.device_id, "agent east")
        await registry.move_zone(enrollment.device_id, "room-2")
        device = registry.authenticate(enrollment.token)
        assert device is not None and (device.name, device.zone) == ("agent east", "room-2")
        assert registry.authenticate("someone-else's-token") is None
        await registry.revoke(enrollment.device_id)
        assert registry.authenticate(enrollment.token) is None
        assert registry.list_devices() == []
        revoked = registry.list_devices(include_revoked=True)
        assert revoked[0].revoked is not None
        assert "(revoked)" in devices_table(revoked)
        with pytest.raises(UnknownDeviceError):
            await registry.rename("no-such-device", "x")
        with pytest.raises(PairingError):
            await registry.create_pairing_code("toaster", "x")  # type: ignore[arg-type]


def test_hub_id_is_made_once_and_kept(tmp_path: Path) -> None:
    first = load_hub_id(tmp_path / "data")
    assert load_hub_id(tmp_path / "data") == first
    assert load_hub_id(tmp_path / "other") != first
