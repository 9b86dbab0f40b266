"""The files in deploy/ are what a Pi runs: systemd accepts the units, the settings load."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from cimaise.cli import cli
from cimaise.settings import env_variable, load_settings, settings_fields

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALLED_CIMAISE = "/opt/cimaise/venv/bin/cimaise"


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values in order]}} (keys may repeat in systemd)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: key outside a section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a key=value line: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def words(values: list[str]) -> set[str]:
    return {word for value in values for word in value.split()}


def test_the_three_units_exist() -> None:
    assert [p.name for p in UNITS] == [
        "cimaise-beacon.service",
        "cimaise-hub.service",
        "cimaise-kiosk.service",
    ]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_analyze_verify_accepts_every_unit_without_a_warning(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at this checkout's cimaise.
    here = Path(sys.executable).parent / "cimaise"
    assert here.exists()
    for unit in UNITS:
        text = unit.read_text().replace(INSTALLED_CIMAISE, str(here))
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_analyze_verify_flags_a_broken_unit(tmp_path: Path) -> None:
    # The check above would be worthless if verify stayed silent on mistakes.
    unit = tmp_path / "broken.service"
    unit.write_text("[Service]\nExecStart=/bin/true\nRestartt=on-failure\n")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Restartt" in result.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_every_unit_restarts_on_failure_after_the_network(unit: Path) -> None:
    sections = parse_unit(unit)
    assert sections["Service"]["Restart"] == ["on-failure"]
    assert "network-online.target" in words(sections["Unit"]["After"])
    assert "network-online.target" in words(sections["Unit"]["Wants"])
    assert sections["Install"]["WantedBy"] == ["multi-user.target"]
    assert sections["Service"]["User"] == ["cimaise"]
    assert sections["Service"]["NoNewPrivileges"] == ["yes"]
    assert sections["Service"]["StateDirectory"], "each program keeps its files in /var/lib"


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_every_unit_starts_a_real_cimaise_command_with_known_flags(unit: Path) -> None:
    (exec_start,) = parse_unit(unit)["Service"]["ExecStart"]
    program, subcommand, *args = exec_start.split()
    assert program == INSTALLED_CIMAISE
    command = cli.get_command(click.Context(cli), subcommand)
    assert command is not None, f"{unit.name}: no 'cimaise {subcommand}'"
    # Parsing raises on an unknown flag or a missing value; nothing is run.
    command.make_context(subcommand, list(args))


def test_the_kiosk_draws_on_kms_drm_with_the_device_groups() -> None:
    service = parse_unit(DEPLOY / "systemd" / "cimaise-kiosk.service")["Service"]
    env = dict(value.split("=", 1) for value in service["Environment"])
    assert env["SDL_VIDEODRIVER"] == "kmsdrm"
    assert env["KIVY_WINDOW"] == "sdl2"
    assert {"video", "input", "render"} <= words(service["SupplementaryGroups"])
    assert "--fullscreen" in service["ExecStart"][0]


def test_the_beacon_agent_may_use_bluez() -> None:
    sections = parse_unit(DEPLOY / "systemd" / "cimaise-beacon.service")
    assert "bluetooth" in words(sections["Service"]["SupplementaryGroups"])
    assert "bluetooth.target" in words(sections["Unit"]["After"])
    assert "AF_BLUETOOTH" in words(sections["Service"]["RestrictAddressFamilies"])


def test_the_example_hub_toml_loads_into_settings() -> None:
    settings = load_settings(DEPLOY / "etc" / "hub.toml", env={})
    assert settings.data == Path("/var/lib/cimaise")
    assert settings.host == "0.0.0.0"
    assert settings.site == "main-gallery"
    assert settings.privacy_mode == "anonymous"
    assert settings.cloud_url is None and settings.cloud_secret is None


def test_the_hub_unit_reads_the_example_config_and_state_folder() -> None:
    service = parse_unit(DEPLOY / "systemd" / "cimaise-hub.service")["Service"]
    assert "--config /etc/cimaise/hub.toml" in service["ExecStart"][0]
    settings = load_settings(DEPLOY / "etc" / "hub.toml", env={})
    assert Path("/var/lib") / service["StateDirectory"][0] == settings.data


@pytest.mark.parametrize("example", sorted((DEPLOY / "etc").glob("*.env.example")), ids=str)
def test_environment_examples_name_only_known_variables(example: Path) -> None:
    known = {env_variable(name) for name in settings_fields()}
    for raw in example.read_text().splitlines():
        line = raw.lstrip("#").strip()
        if "=" not in line or " " in line.split("=", 1)[0]:
            continue
        name = line.split("=", 1)[0]
        assert name in known, f"{example.name}: {name} is not a Cimaise setting"
