"""Where the workbench keeps its state.

Everything lives under ``$WORKBENCH_HOME`` when it is set (tests and benchmarks
always set it), otherwise under the platform's user data and config folders.
The episode log can be placed elsewhere with ``--log``, ``$WORKBENCH_LOG`` or
the config file; see :func:`log_path`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import time
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
    """The data and config folders, honouring ``$WORKBENCH_HOME``.

    A ``$WORKBENCH_HOME`` that cannot be a folder (``~nosuchuser``, a file, a FIFO, a
    device) raises :class:`ConfigError` with one line saying why.
    """
    home = os.environ.get("WORKBENCH_HOME")
    if home:
        try:
            base = expand_user(home, "WORKBENCH_HOME folder")
            info = os.stat(base)
        except FileNotFoundError:
            return StateDirs(data=base, config=base)      # created when first written to
        except ValueError:
            raise ConfigError("WORKBENCH_HOME: the folder name contains a NUL character") from None
        except UnusableFile as exc:
            raise ConfigError(exc.strerror) from None
        except OSError as exc:
            raise ConfigError(f"WORKBENCH_HOME ({home}): {exc.strerror}") from None
        if not stat.S_ISDIR(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "a file")
            raise ConfigError(f"WORKBENCH_HOME ({base}) is {kind}, not a folder")
        return StateDirs(data=base, config=base)
    # Imported here so that tests and benchmarks with WORKBENCH_HOME never need it.
    import platformdirs

    return StateDirs(
        data=Path(platformdirs.user_data_dir(APP_NAME)),
        config=Path(platformdirs.user_config_dir(APP_NAME)),
    )


def expand_user(path: str | os.PathLike, what: str = "path") -> Path:
    """``~`` and ``~user`` expanded; an unknown user is :class:`UnusableFile` (one line), never
    the RuntimeError ``Path.expanduser`` raises."""
    text = os.fspath(path)
    if not text.startswith("~"):
        return Path(text)
    expanded = os.path.expanduser(text)
    if expanded.startswith("~"):        # os.path leaves what it cannot expand unchanged
        user = text[1:].split("/", 1)[0]
        who = f"no user '{user}'" if user else "no home folder for this user"
        raise UnusableFile(errno.ENOENT, f"{text}: {who}, so the ~ in the {what} cannot be expanded")
    return Path(expanded)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as folders only their owner can enter.

    Each folder we create is made 0700 whatever the umask (``mkdir``'s mode is
    masked by it); folders that already exist are left as they are. A name that
    exists but is not a folder (a file, a dangling symlink) is refused.
    """
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass     # another process made it first: theirs is as good as ours
        else:
            os.chmod(folder, 0o700, follow_symlinks=False)
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(path))
    return path


def write_private_file(path: Path, text: str) -> Path:
    """Write a new file only its owner can read; never through a symlink, never over a file."""
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    return path


def crash_report(details: str) -> Path | None:
    """Save what went wrong (a traceback, never local values) to a 0600 file; its path, or None."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        folder = state_dirs().data / "crashes"
    except ConfigError:          # the crash handler must never fail: no report, just the line
        return None
    for attempt in range(100):
        suffix = f"-{attempt}" if attempt else ""
        try:
            return write_private_file(folder / f"crash-{stamp}{suffix}.txt", details)
        except FileExistsError:
            continue
        except OSError:
            return None
    return None


class UnusableFile(OSError):
    """A path that names something we must not read: a FIFO, a device, a folder."""


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def regular_file_or_none(path: Path, what: str = "file") -> os.stat_result | None:
    """The file's ``stat`` when it is a regular file, None when it does not exist.

    Anything else is refused by type *before* it is opened: opening a FIFO blocks
    for ever and reading ``/dev/zero`` never ends.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except ValueError:     # an embedded NUL: no file can have that name
        raise UnusableFile(errno.EINVAL, f"the {what} name contains a NUL character") from None
    if stat.S_ISREG(info.st_mode):
        return info
    kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
    raise UnusableFile(errno.EINVAL, f"{path} is {kind}: it cannot be used as the {what}")


def exposure_warnings(log: Path, *, include_log: bool = True) -> list[str]:
    """Warnings for a log, its companions or its folder that other users can read or change.

    Only ``os.stat`` is used: opening and closing any descriptor of the log would drop
    the SQLite locks this process holds on it.
    """
    from workbench.core.sharing import PRIVATE, SharingError, configured

    try:
        sharing = configured()      # a department's group may read it; nobody else
    except (SharingError, ConfigError):
        sharing = PRIVATE
    log = Path(log)
    names = ([log] if include_log else []) + [Path(f"{log}{side}") for side in ("-wal", "-shm", "-journal")]
    warnings = []
    for name in names:
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except OSError:
            continue
        if sharing.exposed(mode):
            warnings.append(f"{name} can be read by {sharing.who()} (mode {mode:o}); it holds patient "
                            f"identifiers: run chmod {sharing.file_mode:o} on it")
    try:
        mode = stat.S_IMODE(os.stat(log.parent).st_mode)
    except OSError:
        return warnings
    if sharing.exposed(mode):
        warnings.append(f"the log's folder {log.parent} is open to {sharing.who()} (mode {mode:o}): "
                        f"run chmod {sharing.dir_mode & 0o777:o} on it")
    return warnings


def config_path() -> Path:
    return state_dirs().config / "config.toml"


MAX_CONFIG_BYTES = 100_000   # a config file is a few lines


class ConfigError(Exception):
    """The config file exists but cannot be used (the message names file, key and line)."""


# What each known setting must be; anything else is reported and left at its default.
_SHAPES: dict[tuple[str, ...], type] = {("log",): dict, ("log", "path"): str, ("log", "group"): str,
                                        ("log", "checkpoints"): str, ("log", "key_file"): str, ("log", "key"): str,
                                        ("worklist",): dict, ("worklist", "claim_minutes"): int,
                                        ("coder",): dict, ("coder", "name"): str, ("coder", "id"): str,
                                        ("keys",): dict, ("theme",): str}
_TYPE_NAMES = {dict: "a table", str: "text", int: "a number", float: "a number", bool: "true or false",
               list: "a list"}


def load_config() -> dict:
    """The user's config file as a dict; empty when there is none.

    A file that cannot be used raises :class:`ConfigError` naming the file, the key
    and the line, so a typo never silently falls back to defaults; callers that can
    go on (the app) report it and use the defaults.
    """
    path = config_path()
    try:
        info = regular_file_or_none(path, "config file")
        if info is None:
            return {}
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: too large to be a config file ({info.st_size} bytes)")
        data = path.read_bytes()
    except UnusableFile as exc:
        raise ConfigError(str(exc.strerror)) from None
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: the config file is not UTF-8 text (save it as UTF-8)") from None
    import tomllib  # only when a config file exists: most starts have none

    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    _check_shapes(path, text, config)
    return config


def _check_shapes(path: Path, text: str, config: dict) -> None:
    for keys, wanted in _SHAPES.items():
        value: object = config
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                break
            value = value[key]
        else:
            if not isinstance(value, wanted):
                got = _TYPE_NAMES.get(type(value), type(value).__name__)
                raise ConfigError(f"{path}:{_line_of(text, keys)}: '{'.'.join(keys)}' must be "
                                  f"{_TYPE_NAMES[wanted]}, not {got}")


def _line_of(text: str, keys: tuple[str, ...]) -> int:
    """The line that sets ``keys`` (best effort: TOML parsers do not report positions)."""
    last = keys[-1]
    pattern = re.compile(rf"^\s*(\[\s*{re.escape(last)}\s*\]|[\"']?{re.escape(last)}[\"']?\s*=|"
                         rf"{re.escape('.'.join(keys))}\s*=)", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def reference_db_path() -> Path:
    """The generated reference database (classifications, guidance, search index)."""
    return state_dirs().data / "reference.db"


def log_path(cli_value: str | os.PathLike | None = None) -> Path:
    """The episode log: ``--log``, then ``$WORKBENCH_LOG``, then config ``log.path``, then the default.

    A path that names a folder, FIFO or device is refused here (:class:`ConfigError`),
    before anything tries to open it.
    """
    path = _chosen_log_path(cli_value)
    try:
        regular_file_or_none(path, "episode log")
    except UnusableFile as exc:
        raise ConfigError(exc.strerror) from None
    except PermissionError:
        raise ConfigError(f"{path}: the episode log's folder cannot be entered (permission denied)") from None
    except OSError as exc:    # a name too long, a file where a folder should be, ...
        raise ConfigError(f"{path}: cannot be used as the episode log ({exc.strerror})") from None
    return path


def _chosen_log_path(cli_value: str | os.PathLike | None) -> Path:
    chosen = _chosen_log_value(cli_value)
    if not chosen:
        return state_dirs().data / "episodes.db"
    try:
        return expand_user(chosen, "episode log's path")
    except UnusableFile as exc:
        raise ConfigError(exc.strerror) from None


def _chosen_log_value(cli_value: str | os.PathLike | None) -> str | os.PathLike | None:
    if cli_value:
        return cli_value
    env = os.environ.get("WORKBENCH_LOG")
    if env:
        return env
    return load_config().get("log", {}).get("path") or None


#: A log given as one of these is a PostgreSQL server, not a file (workbench.core.episodes.postgres).
SERVER_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(SERVER_SCHEMES)


def redacted_url(url: str) -> str:
    """A server URL fit to print: any password (in the user part or a query) replaced by ***."""
    text = re.sub(r"^([a-z]+://[^:/@?#]*):[^@/?#]*@", r"\1:***@", url.strip(), flags=re.IGNORECASE)
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", text, flags=re.IGNORECASE)


def log_target(cli_value: str | os.PathLike | None = None) -> Path | str:
    """The episode log as chosen (``--log``, ``$WORKBENCH_LOG``, config, default): a server URL
    (``postgresql://...``) as given, otherwise the file's path as :func:`log_path` checks it."""
    chosen = _chosen_log_value(cli_value)
    if is_server_url(chosen):
        return str(chosen).strip()
    return log_path(cli_value)
