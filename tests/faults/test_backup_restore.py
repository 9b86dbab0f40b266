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

from cimaise.demo import free_port
from hub.client.api import HubClient
from tests.faults.devices import Ledger, interaction, run_device
from tests.faults.processes import (
    HOST,
    HubProcess,
    Program,
    integrity,
    received_ids,
    run_cimaise,
    stored_event_ids,
    wait_for,
)


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


NEW_EPOCH = "UPDATE sync_meta SET value = lower(hex(randomblob(4))) WHERE key = 'epoch'"


async def restore_with_sync(tmp_path: Path, new_epoch: bool) -> tuple[set[str], set[str]]:
    """Sync A, back up, sync B, restore the backup, send C: (C's ids, ids at the receiver)."""
    port = free_port()
    env = {"CIMAISE_CLOUD_URL": f"http://{HOST}:{port}/batches", "CIMAISE_CLOUD_SECRET": "s"}
    cloud = Program(
        "receiver",
        ["receiver", "--data", str(tmp_path / "receiver"), "--port", str(port)],
        tmp_path / "logs",
        {"CIMAISE_CLOUD_SECRET": "s"},
    )
    hub = HubProcess(tmp_path / "hub", tmp_path / "logs", env=env)
    copy = tmp_path / "hub-backup.db"
    cloud.start()
    await asyncio.to_thread(hub.start_and_wait)
    try:
        code = await asyncio.to_thread(hub.pair, "kiosk", "kiosk-restore", "zone-a")
        async with HubClient(hub.url) as client:
            await client.enroll(code, "kiosk", "kiosk-restore")

            async def send_and_sync(tag: str) -> set[str]:
                batch = [interaction(tag) for _ in range(30)]
                await client.send_raw([body for _, body in batch])
                ids = {i for i, _ in batch}
                await asyncio.to_thread(
                    wait_for,
                    lambda: ids <= set(received_ids(tmp_path / "receiver")),
                    60,
                    f"batch {tag} at the receiver",
                )
                return ids

            await send_and_sync("aaaa0001")
            await asyncio.to_thread(python_backup, hub.db, copy)
            await send_and_sync("bbbb0002")

            hub.stop()
            shutil.copyfile(copy, hub.db)
            for suffix in ("-wal", "-shm"):
                Path(f"{hub.db}{suffix}").unlink(missing_ok=True)
            if new_epoch:  # a new database id as well (earlier restore instructions did this)
                subprocess.run(["sqlite3", str(hub.db), NEW_EPOCH], check=True, timeout=30)
            await asyncio.to_thread(hub.start_and_wait)

            batch = [interaction("cccc0003") for _ in range(30)]
            await client.send_raw([body for _, body in batch])
            c_ids = {i for i, _ in batch}
            # Sync has caught up when its backlog is empty (whatever the receiver made of it).
            await asyncio.to_thread(
                wait_for,
                lambda: (
                    "backlog: 0 events"
                    in run_cimaise(["hub", "sync", "status", "--data", str(hub.data)], env)
                ),
                60,
                "the hub's sync backlog drained",
            )
            return c_ids, set(received_ids(tmp_path / "receiver"))
    finally:
        hub.stop()
        cloud.stop()


@pytest.mark.slow
async def test_restore_with_a_new_sync_epoch_syncs_what_comes_after(tmp_path: Path) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 command is not installed")
    c_ids, received = await restore_with_sync(tmp_path, new_epoch=True)
    assert c_ids <= received


@pytest.mark.slow
async def test_restore_alone_syncs_what_comes_after(tmp_path: Path) -> None:
    c_ids, received = await restore_with_sync(tmp_path, new_epoch=False)
    assert c_ids <= received
