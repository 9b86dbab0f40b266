"""Settings: one typed object, built once at the edge and passed down.

Precedence, lowest first: defaults, the TOML file (``--config`` or ``CIMAISE_CONFIG``),
``CIMAISE_*`` environment variables, command-line flags. TOML keys are the field
names below; environment variables are ``CIMAISE_`` + the upper-cased name.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

import platformdirs

from cimaise.errors import ConfigError

PrivacyMode = Literal["anonymous", "pseudonymous"]


def default_state_dir(program: str) -> Path:
    """Where a program keeps its files when no folder is given (e.g. ~/.local/state/cimaise/hub)."""
    return Path(platformdirs.user_state_dir("cimaise")) / program


def demo_content_dir() -> Path:
    """The demo exhibition bundle shipped with the package."""
    import content

    return Path(content.__file__).parent / "demo"


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Every option of every Cimaise program; each program reads the ones it needs."""

    # hub
    data: Path = dataclasses.field(default_factory=lambda: default_state_dir("hub"))
    content: Path = dataclasses.field(default_factory=demo_content_dir)
    host: str = "127.0.0.1"
    port: int = 8080
    site: str = "default"
    zeroconf: bool = True
    max_body_bytes: int = 4 * 1024 * 1024
    # cloud sync and privacy
    cloud_url: str | None = None
    cloud_secret: str | None = None
    privacy_mode: PrivacyMode = "anonymous"
    k_anonymity: int = 5
    pseudonym_retention_hours: float = 24.0
    event_retention_days: float = 30.0
    disk_budget_mb: int = 2048
    # devices (kiosk, beacon agent, phone)
    hub_url: str | None = None
    state: Path | None = None
    # address of the network interface to look for the hub on by zeroconf (default: all)
    discovery_interface: str | None = None
    # everyone
    log_level: str = "INFO"

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the given fields replaced (values of None are ignored)."""
        given = {k: v for k, v in values.items() if v is not None}
        return dataclasses.replace(self, **_coerce_all(given, source="flag"))


def _field_types() -> dict[str, Any]:
    hints = get_type_hints(Settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(Settings)}


def _coerce(name: str, value: Any, kind: Any, source: str) -> Any:
    args = [a for a in get_args(kind) if a is not type(None)]
    optional = len(args) < len(get_args(kind))
    if optional and len(args) == 1:
        kind = args[0]
        if value is None or value == "":
            return None
    literal_choices = get_args(kind) if getattr(kind, "__origin__", None) is Literal else ()
    try:
        if literal_choices:
            if value not in literal_choices:
                raise ValueError(f"must be one of {', '.join(literal_choices)}")
            return value
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError("must be true or false")
        if kind is Path:
            return Path(str(value)).expanduser()
        if kind is int and isinstance(value, float):
            raise ValueError("must be a whole number")
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting '{name}' from {source}: {value!r} {exc}") from None


def _coerce_all(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    types = _field_types()
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in types:
            known = ", ".join(sorted(types))
            raise ConfigError(f"unknown setting '{name}' in {source} (known: {known})")
        out[name] = _coerce(name, value, types[name], source)
    return out


def env_variable(name: str) -> str:
    """The environment variable that sets a field."""
    return "CIMAISE_" + name.upper()


def load_settings(
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    **flags: Any,
) -> Settings:
    """Build settings from defaults, the TOML file, the environment, then flags."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    config = config or (Path(env["CIMAISE_CONFIG"]) if env.get("CIMAISE_CONFIG") else None)
    if config is not None:
        try:
            with config.open("rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"config file {config} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {config} is not valid TOML: {exc}") from None
        raw = raw.get("cimaise", raw)
        values.update(_coerce_all(raw, source=str(config)))
    for name in _field_types():
        var = env_variable(name)
        if var in env:
            values.update(_coerce_all({name: env[var]}, source=var))
    values.update(_coerce_all({k: v for k, v in flags.items() if v is not None}, source="flag"))
    return Settings(**values)


def settings_fields() -> list[str]:
    """Names of every setting (used by the docs test)."""
    return list(_field_types())
