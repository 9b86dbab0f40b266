"""The Android build's inputs: the staged sources import on their own, the spec is complete."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

from phone.apk.stage import stage, stage_bleak_recipe

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "phone" / "buildozer.spec"
OWN = {"phone", "hub", "cimaise", "beacon_agent", "kiosk", "content"}
# Imported on a desktop by Kivy's optional image providers; the Android build uses SDL2's.
DESKTOP_ONLY = {"PIL", "cffi", "numpy", "defusedxml"}

PROBE = """
import json, sys
sys.path.insert(0, ".")
import phone.app, phone.scanner, phone.pack, phone.permissions, hub.client.discovery
import bleak.backends.device, bleak.backends.scanner
own = set({own})
outside = sorted(
    m.__name__ for m in list(sys.modules.values())
    if m.__name__.split(".")[0] in own
    and getattr(m, "__file__", None) and not m.__file__.startswith(sys.argv[1])
)
tops = sorted({{n.split(".")[0] for n in sys.modules}} - set(sys.stdlib_module_names) - own)
print(json.dumps({{"outside": outside, "tops": tops}}))
"""


def spec() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(SPEC)
    return parser


def listed(value: str) -> list[str]:
    return [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]


def test_staged_sources_import_the_guide_without_the_repository(tmp_path: Path) -> None:
    staged = tmp_path / "phone-apk"
    stage(staged)
    assert (staged / "main.py").is_file()
    assert (stage_bleak_recipe(tmp_path / "recipes") / "__init__.py").is_file()
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_USE_DEFAULTCONFIG": "1"}
    env["KIVY_HOME"] = str(tmp_path / "kivy")
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(own=sorted(OWN)), str(staged)],
        cwd=staged,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["outside"] == []  # every module of ours the app needs was staged
    requirements = {
        r.split("==")[0].replace("-", "_").lower() for r in listed(spec()["app"]["requirements"])
    }
    aliases = {"attr": "attrs"}
    needed = {
        aliases.get(t, t).lower()
        for t in probe["tops"]
        if not t.startswith("_") and t not in DESKTOP_ONLY and t != "cython_runtime"
    }
    assert needed <= requirements, needed - requirements


def test_spec_asks_for_ranging_permissions_with_location_and_nothing_in_the_background() -> None:
    text = SPEC.read_text()
    permissions = listed(spec()["app"]["android.permissions"])
    for needed in ("BLUETOOTH_SCAN", "ACCESS_FINE_LOCATION", "BLUETOOTH_CONNECT"):
        assert needed in permissions
    assert "ACCESS_BACKGROUND_LOCATION" not in permissions
    # Beacons are filtered out of the results of apps that declare neverForLocation.
    code_lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not any("neverForLocation" in line for line in code_lines)
    assert spec()["app"]["orientation"] == "portrait"
    assert "bleak" in listed(spec()["app"]["requirements"])
