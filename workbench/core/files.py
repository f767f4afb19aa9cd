"""The workbench's own files, kept from being the target of another command, and files it reads.

Every file the workbench writes (the log, its checkpoints, the reference database, the
import store, the config, a key file, each with its companions) is listed by
:func:`own_files`; a command about to write a file it was given (an export, a checkpoint
file, a key file, a new log) refuses one that is, or links to, any of them with
:func:`refuse_own_file`, compared by resolved path and by device and inode, so neither a
symlink nor a hard link gets round it. Files it is given to read are opened by
:func:`read_bounded`: regular files only (a FIFO would block, a device never ends), and
no more than a stated size.

Only ``stat`` is used on the listed files: opening and closing a descriptor of the log
would drop this process's SQLite locks on it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

#: What SQLite and the workbench keep beside a database file.
COMPANION_SUFFIXES = ("", "-wal", "-shm", "-journal", "-lock", ".lock")


class OwnFileRefused(ValueError):
    """The target is one of the workbench's own files; str() says so in one line."""


def own_files(log_path: Path | None = None, others: Iterable[Path] = ()) -> list[Path]:
    """The log (when given), the reference database, the import store, the config file, the
    department key file and ``others`` (the checkpoint file), with every companion."""
    from workbench.core import paths

    bases = [Path(p) for p in ([log_path] if log_path is not None else []) + list(others)]
    try:
        reference = paths.reference_db_path()
        bases += [reference, reference.with_name(reference.stem + ".imports.db"), paths.config_path()]
    except paths.ConfigError:
        pass                              # no usable home: nothing of ours lives there
    key_file = os.environ.get("WORKBENCH_LOG_KEY_FILE")
    if key_file:
        bases.append(Path(os.path.expanduser(key_file)))
    # By string, not with_name: a name such as "." has no file name to add a suffix to.
    return [Path(f"{b}{suffix}") for b in bases for suffix in COMPANION_SUFFIXES]


def identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def is_own_file(target: Path, own: Iterable[Path]) -> bool:
    resolved = Path(os.path.realpath(target))
    found = identity(target)
    for item in own:
        if resolved == Path(os.path.realpath(item)) or (found is not None and found == identity(item)):
            return True
    return False


def refuse_own_file(target: Path, own: Iterable[Path], what: str) -> None:
    """:class:`OwnFileRefused` when ``target`` is, or links to, one of ``own``."""
    if is_own_file(target, own):
        raise OwnFileRefused(f"{target} is the episode log or another of the workbench's own files; "
                             f"{what} never writes there. Choose another file name")


#: Kernel interfaces that look like files: nothing the workbench writes may go there.
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")


def is_system_file(path: Path) -> bool:
    """Whether ``path`` is under /proc, /sys or /dev (by its real path, or its folder's device)."""
    real = os.path.realpath(path)
    if any(real == top or real.startswith(top + "/") for top in SYSTEM_FOLDERS):
        return True
    folder = identity(Path(real).parent)
    return folder is not None and any(folder[0] == (identity(Path(top)) or (None,))[0] for top in SYSTEM_FOLDERS)


def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """The whole of a regular file of at most ``limit`` bytes; OSError (``strerror`` a plain
    line naming ``what``) for anything else: missing, a FIFO, a device, a folder, too large."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except ValueError:
        raise OSError(errno.EINVAL, f"the {what}'s name contains a NUL character") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, f"{path} is not a regular file (a folder, FIFO or device): "
                                        f"it cannot be used as the {what}")
        data = os.read(fd, limit + 1) if info.st_size <= limit else b""
        while info.st_size <= limit and len(data) <= limit:
            more = os.read(fd, limit + 1 - len(data))
            if not more:
                break
            data += more
        if info.st_size > limit or len(data) > limit:
            raise OSError(errno.EFBIG, f"{path} is larger than {limit:,} bytes: too large to be the {what}")
        return data
    finally:
        os.close(fd)
