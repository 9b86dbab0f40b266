"""The one CLI: every program answers --help; a missing extra is named, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from cimaise import __version__
from cimaise.cli import SUBCOMMANDS, cli


@pytest.mark.parametrize("args", [[], *[[name] for name in SUBCOMMANDS]])
def test_every_command_has_help(args: list[str]) -> None:
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    assert len(result.output.splitlines()) < 60  # one screen


def test_version_is_printed() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_console_script_runs_in_a_fresh_interpreter() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cimaise", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    for name in SUBCOMMANDS:
        assert name in out.stdout


def test_missing_extra_is_named_instead_of_a_traceback() -> None:
    # Hide kivy from the child interpreter, as on a hub installed without the kiosk extra.
    code = (
        "import sys; sys.modules['kivy'] = None\n"
        "import importlib.util as u; real = u.find_spec\n"
        "u.find_spec = lambda n, *a: None if n == 'kivy' else real(n, *a)\n"
        "from cimaise.cli import main; sys.argv = ['cimaise', 'kiosk']; main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 3
    assert "pip install 'cimaise[kiosk]'" in out.stderr
    assert "Traceback" not in out.stderr


def test_hub_help_does_not_import_device_libraries() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from cimaise.cli import cli\n"
        "CliRunner().invoke(cli, ['hub', '--help'])\n"
        "assert 'kivy' not in sys.modules and 'bleak' not in sys.modules, 'heavy import'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
