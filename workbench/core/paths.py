"""Where the workbench keeps its state.

Everything lives under ``$WORKBENCH_HOME`` when it is set (tests and benchmarks
always set it), otherwise under the platform's user data and config folders.
The episode log can be placed elsewhere with ``--log``, ``$WORKBENCH_LOG`` or
the config file; see :func:`log_path`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "workbench"

#: The repository root: fixtures/ and db/ are read from here.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES_DIR = PROJECT_ROOT / "fixtures"
SCHEMA_DIR = PROJECT_ROOT / "db"


@dataclass(frozen=True)
class StateDirs:
    data: Path
    config: Path


def state_dirs() -> StateDirs:
    """The data and config folders, honouring ``$WORKBENCH_HOME``."""
    home = os.environ.get("WORKBENCH_HOME")
    if home:
        base = Path(home).expanduser()
        return StateDirs(data=base, config=base)
    # Imported here so that tests and benchmarks with WORKBENCH_HOME never need it.
    import platformdirs

    return StateDirs(
        data=Path(platformdirs.user_data_dir(APP_NAME)),
        config=Path(platformdirs.user_config_dir(APP_NAME)),
    )


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as a folder only its owner can enter."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def config_path() -> Path:
    return state_dirs().config / "config.toml"


def load_config() -> dict:
    """The user's config file as a dict; empty when there is none.

    A config file that does not parse raises :class:`ConfigError` naming the file,
    so a typo never silently falls back to defaults.
    """
    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None


class ConfigError(Exception):
    """The config file exists but cannot be used."""


def reference_db_path() -> Path:
    """The generated reference database (classifications, guidance, search index)."""
    return state_dirs().data / "reference.db"


def log_path(cli_value: str | os.PathLike | None = None) -> Path:
    """The episode log: ``--log``, then ``$WORKBENCH_LOG``, then config ``log.path``, then the default."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("WORKBENCH_LOG")
    if env:
        return Path(env).expanduser()
    configured = load_config().get("log", {}).get("path")
    if configured:
        return Path(configured).expanduser()
    return state_dirs().data / "episodes.db"
