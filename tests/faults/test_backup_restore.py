"""The backup and restore steps of docs/operations.md, done while devices send: the online
backups are sound, and a hub restored from one starts and serves its devices again."""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from hub.client.api import HubClient
from tests.faults.devices import Ledger, interaction, run_device
from tests.faults.processes import HubProcess, integrity, stored_event_ids


def python_backup(source: Path, target: Path) -> None:
    """The documented Python form: SQLite's online backup API, in steps."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=1024)
    finally:
        src.close()
        dst.close()


def cli_backup(source: Path, target: Path) -> None:
    """The documented command: ``sqlite3 hub.db ".backup 'FILE'"``."""
    subprocess.run(["sqlite3", str(source), f".backup '{target}'"], check=True, timeout=60)


@pytest.mark.parametrize("how", ["python", "sqlite3"])
async def test_online_backup_during_ingest_restores_to_a_working_hub(
    tmp_path: Path, how: str
) -> None:
    if how == "sqlite3" and shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 command is not installed")
    backup = python_backup if how == "python" else cli_backup
    hub = HubProcess(tmp_path / "hub", tmp_path / "logs")
    await asyncio.to_thread(hub.start_and_wait)
    copy = tmp_path / "hub-backup.db"
    try:
        code = await asyncio.to_thread(hub.pair, "kiosk", "kiosk-backup", "zone-a")
        async with HubClient(hub.url) as client:
            await client.enroll(code, "kiosk", "kiosk-backup")
            ledger, stop = Ledger(), asyncio.Event()
            sender = asyncio.create_task(run_device(client, ledger, stop, random.Random(9)))
            await asyncio.sleep(1.0)
            await asyncio.to_thread(backup, hub.db, copy)  # while the device keeps sending
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.wait_for(sender, 30)
            assert ledger.failures == 0, "ingest was held up by the backup"

            backed_up = stored_event_ids(copy)
            assert integrity(copy) == "ok"
            assert 0 < len(backed_up) < len(ledger.acked)
            assert set(backed_up) <= set(stored_event_ids(hub.db))

            # Restore as documented: stop, put the copy in place, drop the WAL files, start.
            hub.stop()
            shutil.copyfile(copy, hub.db)
            for suffix in ("-wal", "-shm"):
                Path(f"{hub.db}{suffix}").unlink(missing_ok=True)
            await asyncio.to_thread(hub.start_and_wait)
            assert set(stored_event_ids(hub.db)) == set(backed_up)

            # What came after the backup is gone (docs/operations.md says so); the device's
            # token is in the backup, so it carries on sending.
            assert [i for i in ledger.acked if i not in set(backed_up)]
            batch = [interaction("ba5eba11") for _ in range(5)]
            reply = await client.send_raw([body for _, body in batch])
            assert reply.accepted == len(batch)
    finally:
        hub.stop()
    assert integrity(hub.db) == "ok"
