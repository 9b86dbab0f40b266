from __future__ import annotations

import stat
from pathlib import Path

from hub.client.credentials import (
    Credentials,
    clear_credentials,
    credentials_path,
    load_credentials,
    save_credentials,
)


def test_credentials_round_trip_owner_only_and_token_not_in_repr(tmp_path: Path) -> None:
    creds = Credentials(
        device_id="d1",
        token="secret-token",
        hub_url="http://127.0.0.1:8080",
        zone="room-1",
        kind="beacon",
        name="agent-1",
    )
    path = save_credentials(tmp_path / "state", creds)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_credentials(tmp_path / "state") == creds
    assert "secret-token" not in repr(creds)
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_missing_or_unreadable_credentials_mean_not_paired(tmp_path: Path) -> None:
    assert load_credentials(tmp_path) is None
    credentials_path(tmp_path).write_text("{not json")
    assert load_credentials(tmp_path) is None
    clear_credentials(tmp_path)
    assert not credentials_path(tmp_path).exists()
