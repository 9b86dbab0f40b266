"""The hub's admin commands (pair, devices, export) and the OpenAPI document's truth."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from aiohttp import web
from click.testing import CliRunner

from cimaise.cli import cli
from cimaise.settings import Settings
from hub.api.openapi import openapi_document
from hub.app import create_app
from hub.client.api import HubClient
from tests.client.factories import interaction, occupancy, visit

CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")


def test_pair_prints_a_code_that_enrolls_a_device_listed_by_devices(
    hub_settings: Settings,
) -> None:
    data = str(hub_settings.data)
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "hub",
            "pair",
            "--data",
            data,
            "--kind",
            "beacon",
            "--name",
            "agent-3",
            "--zone",
            "room-3",
        ],
    )
    assert result.exit_code == 0, result.output
    code = result.stdout.splitlines()[0]
    assert CODE.match(code)
    assert "valid until" in result.stderr

    async def use() -> None:
        app = create_app(hub_settings)
        from aiohttp.test_utils import TestServer

        async with (
            TestServer(app, host="127.0.0.1", port=hub_settings.port) as server,
            HubClient(str(server.make_url("")).rstrip("/")) as client,
        ):
            await client.enroll(code, "beacon", "agent-3")
            await client.heartbeat()
            await client.send_events([interaction(), visit(), occupancy()])

    asyncio.run(use())
    listed = runner.invoke(cli, ["hub", "devices", "--data", data])
    assert listed.exit_code == 0, listed.output
    header, line = listed.stdout.splitlines()
    assert header.split()[:4] == ["NAME", "KIND", "ZONE", "LAST"]
    assert line.split()[:3] == ["agent-3", "beacon", "room-3"]
    assert "never" not in line

    exported = runner.invoke(cli, ["hub", "export", "--data", data])
    records = [json.loads(x) for x in exported.stdout.splitlines()]
    assert [r["type"] for r in records] == ["interaction", "visit", "occupancy"]
    assert all(r["site"] == "test" and r["device_id"] and r["received"] for r in records)
    only = runner.invoke(cli, ["hub", "export", "--data", data, "--type", "visit"])
    assert [json.loads(x)["type"] for x in only.stdout.splitlines()] == ["visit"]
    later = runner.invoke(cli, ["hub", "export", "--data", data, "--since", "2999-01-01T00:00:00Z"])
    assert later.exit_code == 0 and later.stdout == ""
    bad = runner.invoke(cli, ["hub", "export", "--data", data, "--since", "yesterday"])
    assert bad.exit_code != 0 and "RFC 3339" in bad.output


def test_devices_without_a_hub_store_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["hub", "devices", "--data", str(tmp_path)])
    assert result.exit_code != 0
    assert "no hub store" in result.output


def _app_routes(app: web.Application) -> set[tuple[str, str]]:
    out = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if path.startswith("/api/v1") and route.method != "HEAD":
            out.add((path, route.method.lower()))
    return out


def test_openapi_document_names_exactly_the_api_routes(hub_settings: Settings) -> None:
    app = create_app(hub_settings)
    document = openapi_document()
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == _app_routes(app)
    assert document["openapi"].startswith("3.1")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), (path, method)
            for response in operation["responses"].values():
                for media in response.get("content", {}).values():
                    ref = media["schema"].get("$ref")
                    if ref:
                        name = ref.rsplit("/", 1)[-1]
                        assert name in document["components"]["schemas"], ref


def test_api_docs_name_every_route() -> None:
    text = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    for path in openapi_document()["paths"]:
        assert f"`{path}`" in text or path in text, path
