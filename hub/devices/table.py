"""The devices table that ``cimaise hub devices`` prints (pure formatting)."""

from __future__ import annotations

from collections.abc import Sequence

from hub.devices.registry import Device

HEADERS = ("NAME", "KIND", "ZONE", "LAST SEEN", "VERSION", "ID")


def devices_table(devices: Sequence[Device]) -> str:
    """A plain-text table, one device a line, columns aligned."""
    rows = [HEADERS] + [
        (
            d.name + (" (revoked)" if d.revoked else ""),
            d.kind,
            d.zone or "-",
            d.last_seen or "never",
            d.version or "-",
            d.id,
        )
        for d in devices
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
