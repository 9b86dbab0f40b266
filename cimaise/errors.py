"""Errors of Cimaise, each named for when it is raised.

The CLI turns them into one sentence and an exit code; the HTTP layer into a
problem-details body. Nothing else catches them broadly.
"""

from __future__ import annotations


class CimaiseError(Exception):
    """Base of every error Cimaise raises on purpose."""

    #: exit code the CLI uses for this error
    exit_code = 1


class ConfigError(CimaiseError):
    """Raised when the settings (TOML file, environment, flags) are invalid."""

    exit_code = 2


class MissingExtraError(CimaiseError):
    """Raised when a program needs an optional extra that is not installed."""

    exit_code = 3

    def __init__(self, program: str, extra: str, module: str) -> None:
        super().__init__(
            f"'cimaise {program}' needs the '{extra}' extra ({module} is not installed): "
            f"pip install 'cimaise[{extra}]'"
        )
        self.extra = extra


class ContentError(CimaiseError):
    """Raised when a content bundle is malformed; names the file, field and problem."""

    def __init__(self, file: str, field: str, problem: str) -> None:
        super().__init__(f"{file}: {field}: {problem}")
        self.file = file
        self.field = field
        self.problem = problem


class StoreUnavailableError(CimaiseError):
    """Raised when the hub's store cannot commit (disk full, read-only, corrupt)."""


class PairingError(CimaiseError):
    """Raised when a pairing code is unknown, used or expired."""


class NotPairedError(CimaiseError):
    """Raised on a device when the hub refuses its token (never paired, or revoked)."""


class HubUnreachableError(CimaiseError):
    """Raised on a device when no hub answers (discovery found none, or it is down)."""
