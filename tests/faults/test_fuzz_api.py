"""Malformed and hostile requests generated from the hub's own OpenAPI document
(schemathesis: examples, coverage and fuzzing phases, valid and invalid data) never get a
5xx, with and without a device token; the hub stays healthy and its store sound."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cimaise.demo import http_get
from hub.client.api import HubClient
from tests.faults.processes import HubProcess, child_env, integrity, wait_for

EXAMPLES = 25  # per operation and phase
# Operations with a known server error, left out of the fuzz run until fixed (none now).
KNOWN_500: list[str] = []


def schemathesis(
    url: str, report: Path, headers: list[str], seed: int, only: list[str] | None = None
) -> tuple[int, str]:
    args = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{url}/api/v1/openapi.json",
        # Whatever servers the document names, requests go to this loopback hub only.
        "--origin",
        url,
        "--checks",
        "not_a_server_error",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--no-color",
        "--generation-database",
        "none",
        "--request-timeout",
        "10",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    for header in headers:
        args += ["-H", header]
    for path in only or []:
        args += ["--include-path", path]
    if only is None:
        for path in KNOWN_500:
            args += ["--exclude-path", path]
    result = subprocess.run(
        args, env=child_env(), capture_output=True, text=True, timeout=400, check=False
    )
    return result.returncode, result.stdout + result.stderr


def cases_run(output: str) -> int:
    """Test cases schemathesis reports as generated (its summary line)."""
    found = re.findall(r"(\d+)\s+generated", output)
    return sum(int(n) for n in found)


async def fuzz_hub(tmp_path: Path, only: list[str] | None) -> list[tuple[str, int]]:
    """Fuzz a fresh hub with and without a device token; (who, cases) per run."""
    hub = HubProcess(tmp_path / "hub", tmp_path / "logs")
    await asyncio.to_thread(hub.start_and_wait)
    outcomes = []
    try:
        # 503 "content still loading" is the right answer while the bundle loads: fuzz after.
        await asyncio.to_thread(
            wait_for,
            lambda: http_get(f"{hub.url}/api/v1/public/pack")[0] == 200,
            120,
            "content published",
        )
        code = await asyncio.to_thread(hub.pair, "kiosk", "kiosk-fuzz", "zone-a")
        async with HubClient(hub.url) as client:
            token = (await client.enroll(code, "kiosk", "kiosk-fuzz")).token
        for name, headers in (
            ("with a device token", [f"Authorization: Bearer {token}"]),
            ("without credentials", []),
        ):
            report = tmp_path / f"junit-{len(outcomes)}.xml"
            rc, output = await asyncio.to_thread(schemathesis, hub.url, report, headers, 1127, only)
            assert rc == 0, f"{name}: schemathesis found failures\n{output[-6000:]}"
            tree = ET.parse(report)  # noqa: S314 (the report our own run just wrote)
            failures = tree.getroot().findall(".//failure") + tree.getroot().findall(".//error")
            assert not failures, ET.tostring(failures[0], encoding="unicode")[:3000]
            outcomes.append((name, cases_run(output)))
        assert http_get(f"{hub.url}/healthz")[0] == 200
        # aiohttp itself logs the malformed requests it refuses with 400; the hub's own
        # modules must have logged no failure.
        failures = [line for line in hub.output().splitlines() if " ERROR hub hub." in line]
        assert not failures, failures
    finally:
        hub.stop()
    assert integrity(hub.db) == "ok"
    assert all(cases > 0 for _, cases in outcomes)
    return outcomes


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_generated_requests_never_get_a_server_error(tmp_path: Path) -> None:
    for name, cases in await fuzz_hub(tmp_path, None):
        print(f"fuzz {name}: {cases} generated cases, no 5xx")


async def test_heartbeat_with_an_out_of_range_integer_is_refused_not_a_server_error(
    tmp_path: Path,
) -> None:
    # The fuzz run above found this one (an OverflowError in the registry's write, then 500).
    hub = HubProcess(tmp_path / "hub", tmp_path / "logs")
    await asyncio.to_thread(hub.start_and_wait)
    try:
        code = await asyncio.to_thread(hub.pair, "beacon", "agent-fuzz", "zone-a")
        async with HubClient(hub.url) as client:
            token = (await client.enroll(code, "beacon", "agent-fuzz")).token
            body = {"beacons": [{"beacon_id": "tag-1", "adv_count": 2**70}]}
            async with client.session.post(
                f"{hub.url}/api/v1/devices/heartbeat",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                status = response.status
    finally:
        hub.stop()
    assert 400 <= status < 500, status
