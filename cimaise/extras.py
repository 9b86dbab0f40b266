"""Checks that a program's optional extra is installed, before importing it."""

from __future__ import annotations

import importlib.util

from cimaise.errors import MissingExtraError


def require_extra(program: str, extra: str, *modules: str) -> None:
    """Raise MissingExtraError naming the extra when any module is missing."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(program, extra, module)
