"""A whole gallery across processes: a hub, three beacon agents replaying recorded traces,
a kiosk under Xvfb touched by a visitor, the reference cloud receiver, and the technician's
page in Chromium.

Every event reaches the receiver exactly once; the page shows the devices and draws the
charts; and no Bluetooth address of the traces is anywhere but in the trace files.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from beacon_agent.simulate import GallerySimulation, SimConfig
from beacon_agent.trace import read_trace, write_trace
from cimaise.demo import free_port, http_get
from tests.e2e.browser import technician_page
from tests.faults.processes import (
    HOST,
    HubProcess,
    Program,
    child_env,
    integrity,
    read_db,
    received_records,
    run_cimaise,
    stored_event_ids,
    wait_for,
)
from tests.kiosk.conftest import KioskProcess, display  # noqa: F401 (the Xvfb fixture)

ZONES = ("zone-a", "zone-b", "zone-c")
TRACE_S = 900.0  # a quarter of an hour of gallery per agent
SECRET = "e2e-shared-secret"
PASSWORD = "e2e technician passphrase"


def write_traces(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    traces = {}
    for n, zone in enumerate(ZONES):
        path = folder / f"{zone}.jsonl"
        write_trace(
            path, GallerySimulation(SimConfig(seed=11 + n, listen_zone=zone)).records(TRACE_S)
        )
        traces[zone] = path
    return traces


def address_forms(traces: dict[str, Path]) -> set[bytes]:
    """Every address of the traces, as it could be written: AA:BB:..., aa:bb:..., aabb..."""
    forms: set[bytes] = set()
    for path in traces.values():
        for record in read_trace(path):
            upper = record.address.upper()
            for text in (
                upper,
                upper.lower(),
                upper.replace(":", ""),
                upper.lower().replace(":", ""),
            ):
                forms.add(text.encode())
    return forms


def files_except(root: Path, skip: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and skip not in p.parents]


def interactions(hub_db: Path) -> list[dict[str, Any]]:
    with read_db(hub_db) as conn:
        rows = conn.execute("SELECT id FROM events WHERE type = 'interaction' ORDER BY seq")
        return [{"id": row[0]} for row in rows]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.display
@pytest.mark.timeout(420)
def test_a_whole_gallery_across_processes(
    tmp_path: Path,
    display: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logs = tmp_path / "logs"
    # Every process started below records any attempt to reach beyond loopback.
    netlog = tmp_path / "network.log"
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent / "netaudit"))
    monkeypatch.setenv("NETAUDIT_LOG", str(netlog))
    traces = write_traces(tmp_path / "traces")
    addresses = address_forms(traces)
    assert len(addresses) > 40, "the traces hold phones and tags"

    port = free_port()
    sync_env = {
        "CIMAISE_CLOUD_URL": f"http://{HOST}:{port}/batches",
        "CIMAISE_CLOUD_SECRET": SECRET,
    }
    cloud = Program(
        "receiver",
        ["receiver", "--data", str(tmp_path / "receiver"), "--host", HOST, "--port", str(port)],
        logs,
        {"CIMAISE_CLOUD_SECRET": SECRET},
    )
    hub = HubProcess(tmp_path / "hub", logs, env=sync_env, site="e2e")
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    run_cimaise(
        [
            "hub",
            "admin",
            "create",
            "--data",
            str(hub.data),
            "--user",
            "tech",
            "--password-file",
            str(password_file),
        ]
    )
    kiosk: KioskProcess | None = None
    agents: list[Program] = []
    try:
        cloud.start()
        hub.start_and_wait()
        wait_for(lambda: http_get(f"{hub.url}/api/v1/public/pack")[0] == 200, 180, "exhibition")

        # Three agents replay their room's trace as fast as they can, then flush and exit.
        for zone in ZONES:
            code = hub.pair("beacon", f"agent-{zone}", zone)
            agent = Program(
                f"agent-{zone}",
                [
                    "beacon",
                    "--replay",
                    str(traces[zone]),
                    "--speed",
                    "0",
                    "--pair",
                    code,
                    "--hub",
                    hub.url,
                    "--state",
                    str(tmp_path / "agents" / zone),
                ],
                logs,
                {},
            )
            agent.start()
            agents.append(agent)

        # Meanwhile a visitor at the kiosk: real touches through Kivy's event loop.
        code = hub.pair("kiosk", "kiosk-e2e", "zone-a")
        kiosk = KioskProcess(
            display, tmp_path / "kiosk", "--hub", hub.url, "--pair", code, "--heartbeat", "1"
        )

        def on_screen() -> bool:
            assert kiosk is not None
            return bool(kiosk.send("advance", seconds=0)["content_version"])

        wait_for(on_screen, 120, "the hub's exhibition on the kiosk")
        kiosk.send("tap", x=640, y=400)
        kiosk.send("tap", card=0)
        kiosk.send("tap", text="FR")
        kiosk.send("tap", text="‹  Retour")
        notes = kiosk.send("tap", card=2)["notes"]
        assert len(notes) >= 4

        for agent in agents:
            assert agent.wait(timeout=180) == 0, agent.output()[-3000:]
        wait_for(lambda: len(interactions(hub.db)) >= len(notes), 30, "kiosk events on the hub")

        # Every stored event reaches the receiver exactly once.
        stored = stored_event_ids(hub.db)
        assert len(stored) == len(set(stored))
        with read_db(hub.db) as conn:
            kinds = dict(conn.execute("SELECT type, count(*) FROM events GROUP BY type").fetchall())
        assert kinds.get("visit", 0) > 0 and kinds.get("occupancy", 0) > 0, kinds
        assert kinds.get("interaction", 0) == len(notes), kinds

        def all_received() -> bool:
            ids = {str(r["id"]) for r in received_records(tmp_path / "receiver")}
            return set(stored) <= ids

        wait_for(all_received, 120, "every event at the receiver")
        records = received_records(tmp_path / "receiver")
        ids = [str(r["id"]) for r in records if str(r["id"]) in set(stored)]
        twice = [i for i, n in Counter(ids).items() if n > 1]
        assert not twice, f"{len(twice)} events reached the receiver twice"
        assert not [r for r in records if r.get("visitor")], "pseudonyms left the hub"

        # The technician's page: devices online, charts drawn from the data.
        with technician_page(hub.url, "tech", PASSWORD) as page:
            page.goto(f"{hub.url}/admin/devices")
            table = page.inner_text("#devices-table")
            for name in (*(f"agent-{z}" for z in ZONES), "kiosk-e2e"):
                assert name in table
            page.goto(f"{hub.url}/admin/analytics")
            page.wait_for_selector("[data-chart] canvas")
            drawn = page.evaluate(
                """() => Array.from(document.querySelectorAll('[data-chart] canvas')).map(c => {
                    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    let inked = 0;
                    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) inked++;
                    return inked;
                })"""
            )
            assert drawn and max(drawn) > 500, f"charts without ink: {drawn}"
            rows = [int(n) for n in re.findall(r"Data \((\d+) rows\)", page.inner_text("main"))]
            assert sum(rows) > 0, "the analytics tables are empty"
            page.screenshot(path=str(tmp_path / "analytics.png"), full_page=True)
        figures = {"events": len(stored), **kinds, "received": len(ids)}
        print(f"gallery: {figures}")
    finally:
        if kiosk is not None:
            kiosk.close()
        for agent in agents:
            agent.stop()
        hub.stop()
        cloud.stop()

    # No Bluetooth address anywhere but the traces: databases (with their WAL files), the
    # agents' and kiosk's state, every log, and what the hub exports.
    exported = subprocess.run(
        [sys.executable, "-m", "cimaise", "hub", "export", "--data", str(hub.data)],
        env=child_env(),
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout
    # (the store may have grown since: a kiosk closing ends its visitor's session)
    assert exported.count(b"\n") == len(stored_event_ids(hub.db)) >= len(stored)
    for path in files_except(tmp_path, tmp_path / "traces"):
        data = path.read_bytes()
        leaked = [a for a in addresses if a in data]
        assert not leaked, f"Bluetooth address {leaked[0]!r} in {path}"
    assert not [a for a in addresses if a in exported]
    assert integrity(hub.db) == "ok"
    audited = Path(f"{netlog}.pids").read_text().splitlines()
    assert any("kiosk" in line for line in audited) and len(audited) >= 8, audited
    assert not netlog.exists(), netlog.read_text()
