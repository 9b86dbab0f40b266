"""Fixtures of the label tests: the phone tests' hub fixtures are reused."""

from __future__ import annotations

from tests.phone.conftest import content_cache

__all__ = ["content_cache"]
