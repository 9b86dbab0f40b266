"""The reference receiver: signature, timestamp window, each batch stored once."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from hub.sync.batching import gzip_body, headers
from hub.sync.receiver import create_receiver_app, read_records

SECRET = "s3cret"


def _ndjson(*ids: str) -> bytes:
    return b"".join(
        json.dumps({"type": "visit", "id": i, "zone": "a"}).encode() + b"\n" for i in ids
    )


async def _post(
    client: TestClient[Any, Any],
    batch: str,
    body: bytes,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    extra: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    h = headers(
        "site-a", batch, int(time.time()) if timestamp is None else timestamp, body, secret.encode()
    )
    h.update(extra or {})
    resp = await client.post("/", data=body, headers=h)
    return resp.status, await resp.json(content_type=None)


@pytest.fixture
async def client(aiohttp_client: Any, tmp_path: Path) -> TestClient[Any, Any]:
    app = create_receiver_app(tmp_path, SECRET, window_s=60)
    c: TestClient[Any, Any] = await aiohttp_client(app)
    return c


async def test_signed_batch_is_stored_and_repeated_batch_is_stored_once(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    body = gzip_body(_ndjson("e1", "e2"))
    assert await _post(client, "b-1", body) == (
        200,
        {"status": "stored", "batch": "b-1", "records": 2},
    )
    status, answer = await _post(client, "b-1", body)
    assert (status, answer["status"]) == (200, "duplicate")
    rows = [json.loads(line)["id"] for _, line in read_records(tmp_path)]
    assert rows == ["e1", "e2"]


async def test_wrong_secret_is_refused_with_401_and_a_problem_body(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    status, answer = await _post(client, "b-1", gzip_body(_ndjson("e1")), secret="wrong")
    assert status == 401
    assert answer["title"] == "bad-signature" and "secret" in answer["detail"]
    assert list(read_records(tmp_path)) == []


async def test_tampered_body_and_stale_timestamp_are_refused(client: TestClient[Any, Any]) -> None:
    body = gzip_body(_ndjson("e1"))
    good = headers("site-a", "b-1", int(time.time()), body, SECRET.encode())
    resp = await client.post("/", data=gzip_body(_ndjson("e2")), headers=good)
    assert resp.status == 401
    status, answer = await _post(client, "b-1", body, timestamp=int(time.time()) - 3600)
    assert (status, answer["title"]) == (401, "stale-timestamp")


async def test_missing_headers_bad_gzip_and_bad_lines_are_400(
    client: TestClient[Any, Any],
) -> None:
    resp = await client.post("/", data=b"x")
    assert resp.status == 400
    assert (await resp.json(content_type=None))["title"] == "missing-header"
    status, answer = await _post(client, "b-1", b"not gzip")
    assert (status, answer["title"]) == (400, "bad-gzip")
    status, answer = await _post(client, "b-2", gzip_body(b'{"no": "id"}\n'))
    assert (status, answer["title"]) == (400, "bad-record")
    body = gzip_body(_ndjson("e1"))
    status, answer = await _post(client, "b-3", body, extra={"Content-Encoding": "identity"})
    assert (status, answer["title"]) == (415, "not-gzip")


async def test_gzip_bomb_is_refused_as_too_large(aiohttp_client: Any, tmp_path: Path) -> None:
    app = create_receiver_app(tmp_path, SECRET, max_decompressed=1024 * 1024)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    bomb = gzip.compress(b"\n" * (8 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 10_000
    status, answer = await _post(client, "b-1", bomb)
    assert (status, answer["title"]) == (413, "too-large")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_receiver_command_serves_and_exports(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cimaise",
            "receiver",
            "--data",
            str(tmp_path),
            "--secret",
            SECRET,
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        body = gzip_body(_ndjson("e1", "e2", "e3"))
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    h = headers("site-a", "b-9", int(time.time()), body, SECRET.encode())
                    async with session.post(
                        f"http://127.0.0.1:{port}/", data=body, headers=h
                    ) as resp:
                        assert resp.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                    assert time.monotonic() < deadline, "receiver did not start"
                    await asyncio.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    out = subprocess.run(
        [sys.executable, "-m", "cimaise", "receiver", "--data", str(tmp_path), "--export"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert [json.loads(line)["id"] for line in out.stdout.splitlines()] == ["e1", "e2", "e3"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"type":"visit","id":"a"}\n\n{"type":"visit","id":"b"}\n',
        b'{"type":"visit","id":"a"},{"type":"visit","id":"b"}\n',
        b'{"type":"visit","id":"a"}\n[1]\n',
        b'{"type":"visit"}\n',
    ],
)
async def test_a_body_that_is_not_one_record_per_line_is_refused(
    client: TestClient[Any, Any], body: bytes
) -> None:
    status, answer = await _post(client, "b-1", gzip_body(body))
    assert (status, answer["title"]) == (400, "bad-record")
