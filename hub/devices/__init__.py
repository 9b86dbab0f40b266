"""Devices of a hub: pairing codes, enrollment, tokens, heartbeats, the daily pseudonym key."""

from __future__ import annotations

from hub.devices.registry import Device, DeviceRegistry, PairingCode

__all__ = ["Device", "DeviceRegistry", "PairingCode"]
