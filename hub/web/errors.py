"""Errors of the technicians' web page, each named for when it is raised."""

from __future__ import annotations

from cimaise.errors import CimaiseError


class AccountError(CimaiseError):
    """Raised when an account cannot be created or changed (exists, unknown, weak password)."""
