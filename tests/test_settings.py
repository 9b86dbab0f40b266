"""Settings precedence: defaults < TOML < environment < flags; bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest

from cimaise.errors import ConfigError
from cimaise.settings import Settings, load_settings


def test_defaults_without_any_source(tmp_path: Path) -> None:
    settings = load_settings(env={})
    assert settings.port == 8080
    assert settings.host == "127.0.0.1"
    assert (settings.content / "exhibition.json").exists() or settings.content.name == "demo"


def test_precedence_toml_then_env_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "cimaise.toml"
    config.write_text('port = 9000\nsite = "louvre"\nhost = "0.0.0.0"\n')
    env = {"CIMAISE_PORT": "9100", "CIMAISE_SITE": "orsay"}
    settings = load_settings(config, env=env, port=9200)
    assert settings == Settings(port=9200, site="orsay", host="0.0.0.0")


def test_bad_value_names_setting_and_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CIMAISE_PORT"):
        load_settings(env={"CIMAISE_PORT": "eighty"})
    with pytest.raises(ConfigError, match="privacy_mode"):
        load_settings(env={"CIMAISE_PRIVACY_MODE": "everything"})


def test_unknown_key_in_toml_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load_settings(config, env={})


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})
