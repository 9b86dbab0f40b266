"""The device's credentials file in its state folder, written atomically with mode 0600."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from pathlib import Path

import msgspec

log = logging.getLogger(__name__)

FILE_NAME = "credentials.json"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """What a device keeps after enrolling; the token never appears in ``repr``."""

    device_id: str
    token: str = dataclasses.field(repr=False)
    hub_url: str | None = None
    zone: str | None = None
    kind: str = "kiosk"
    name: str = ""


def credentials_path(state: Path) -> Path:
    """Where the credentials of a device with this state folder live."""
    return Path(state) / FILE_NAME


def load_credentials(state: Path) -> Credentials | None:
    """The saved credentials, or None when the device is not paired (or the file is bad)."""
    path = credentials_path(state)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return msgspec.json.decode(raw, type=Credentials)
    except msgspec.DecodeError as exc:
        log.warning("ignoring unreadable credentials file %s: %s", path, exc)
        return None


def save_credentials(state: Path, credentials: Credentials) -> Path:
    """Write the credentials atomically (temp file, fsync, rename) readable by the owner only."""
    path = credentials_path(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, msgspec.json.encode(credentials))
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def clear_credentials(state: Path) -> None:
    """Forget the device's token (after the hub revoked it)."""
    with contextlib.suppress(FileNotFoundError):
        credentials_path(state).unlink()
