"""Writing an export file without ever touching the system of record.

An export holds patient identifiers and is written next to files that matter, so:
- it refuses the log, its companions (-wal, -shm, -journal), its checkpoint file and
  the reference database with theirs, compared by device and inode (symlinks and
  hard links included) and by resolved path;
- it never writes through a symlink: the target may not be one, and the temporary
  file is a new name created with O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600 whatever
  the umask, then renamed over the target;
- an existing target is only replaced when the caller says so (``force``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from workbench.core.episodes.model import LogError


class ExportTargetExists(LogError):
    """The export target exists and replacing it was not confirmed."""


def protected_files(log_path: Path, others: Iterable[Path] = ()) -> list[Path]:
    """Every file the workbench writes (:func:`workbench.core.files.own_files`): the log, its
    checkpoint file (in ``others``), the reference database, the import store, the config."""
    from workbench.core.files import own_files

    return own_files(Path(log_path), others)


def check_target(target: Path, protected: list[Path], *, force: bool) -> None:
    """Refuse a target that is (or links to) a protected file, a symlink, or exists unconfirmed."""
    from workbench.core.files import is_own_file

    if is_own_file(target, protected):
        raise LogError(f"{target} is the episode log or one of the workbench's own files; "
                       "an export never writes there. Choose another file name")
    try:
        info = target.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LogError(f"{target}: cannot check the export target ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise LogError(f"{target} is a symbolic link; an export never writes through one. "
                       "Give the real file name")
    if not stat.S_ISREG(info.st_mode):
        raise LogError(f"{target} is not a regular file; choose another file name")
    if not force:
        raise ExportTargetExists(f"{target} already exists; it was not replaced "
                                 "(use --force to replace it)")


@contextlib.contextmanager
def export_target(target: Path, protected: list[Path], *, force: bool) -> Iterator[TextIO]:
    """A text stream for the export; renamed over ``target`` only when the block succeeds."""
    target = Path(target)
    check_target(target, protected, force=force)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
    try:
        fd = os.open(temporary, flags, 0o600)
    except OSError as exc:
        raise LogError(f"{target}: cannot write the export ({exc.strerror})") from None
    try:
        os.fchmod(fd, 0o600)   # O_CREAT's mode is filtered by the umask; this is not
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        check_target(target, protected, force=force)   # nothing appeared meanwhile
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise LogError(f"{target}: cannot write the export ({exc.strerror})") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def refuse_stream_into(stream: TextIO, protected: list[Path]) -> None:
    """Refuse to write an export to a stream that is one of the protected files (``>> episodes.db``)."""
    try:
        info = os.fstat(stream.fileno())
    except (OSError, AttributeError, ValueError):
        return
    if not stat.S_ISREG(info.st_mode):
        return
    from workbench.core.files import identity

    for item in protected:
        if identity(item) == (info.st_dev, info.st_ino):
            raise LogError("standard output is the episode log or one of its files; "
                           "an export never writes there")


def neutralise_cell(value: object) -> object:
    """OWASP's defence against spreadsheet formula injection: a text cell starting with
    ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading single quote."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
