"""Fixtures of the content tests: a small copy of the demo bundle and a library over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.content.library import ContentLibrary
from tests.content.bundles import make_small_bundle


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return make_small_bundle(tmp_path / "bundle")


@pytest.fixture
def library(bundle: Path, tmp_path: Path) -> ContentLibrary:
    return ContentLibrary(bundle, tmp_path / "cache")
