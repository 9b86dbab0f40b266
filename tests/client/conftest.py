"""The client tests run devices against a real hub: reuse the hub's fixtures."""

from __future__ import annotations

from tests.hub.conftest import hub_settings

__all__ = ["hub_settings"]
