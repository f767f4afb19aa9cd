"""A department's log on one server, shared by the coders of a Unix group.

By default the log is private: files 0600 in a 0700 folder. With a group configured
(``[log] group = "coding"`` in the config, or ``$WORKBENCH_GROUP``), the log's folder is
created ``2770`` (the setgid bit makes every file created in it belong to the group) and
its files ``0660`` with that group: the log, SQLite's ``-wal`` and ``-shm`` (SQLite gives them
the log's own mode) and the workbench's ``-lock``. The modes are set with ``fchmod``/``chmod``
after creating, so each coder's umask changes nothing, and never include any bit for
others: a user outside the group cannot open the folder at all.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "WORKBENCH_GROUP"


class SharingError(Exception):
    """The configured group cannot be used (it does not exist, or we are not in it)."""


@dataclass(frozen=True)
class Sharing:
    group: str | None = None
    gid: int | None = None

    @property
    def shared(self) -> bool:
        return self.gid is not None

    @property
    def file_mode(self) -> int:
        return 0o660 if self.shared else 0o600

    @property
    def dir_mode(self) -> int:
        return 0o2770 if self.shared else 0o700

    def exposed(self, mode: int) -> int:
        """The permission bits of ``mode`` beyond what this sharing allows (0 when none)."""
        allowed = 0o770 if self.shared else 0o700
        return stat.S_IMODE(mode) & 0o777 & ~allowed

    def who(self) -> str:
        return f"users outside the group {self.group}" if self.shared else "other users"


PRIVATE = Sharing()


def configured() -> Sharing:
    """The sharing chosen by ``$WORKBENCH_GROUP`` or the config's ``[log] group``; private when
    neither is set. SharingError when the group is unknown or this user is not in it."""
    name = os.environ.get(ENV_VAR)
    if not name:
        from workbench.core.paths import load_config

        name = load_config().get("log", {}).get("group")
    if not name:
        return PRIVATE
    import grp

    try:
        gid = grp.getgrnam(name).gr_gid
    except KeyError:
        raise SharingError(f"the log's group {name!r} does not exist on this server "
                           "(groupadd it, or fix [log] group in the config)") from None
    if gid != os.getegid() and gid not in os.getgroups():
        raise SharingError(f"you are not a member of the log's group {name!r}: ask the administrator "
                           "to add you (usermod -aG), then log in again")
    return Sharing(name, gid)


def apply_umask(sharing: Sharing) -> None:
    """For a department's log, this process's umask becomes 007: every file it creates can be
    opened by the group and by no one else. Also SQLite's ``-wal`` and ``-shm``, which SQLite
    opens under the umask and only then sets to the log's mode: with a private umask another
    coder opening them in that instant would be refused. Private logs change nothing (their
    files are made 0600 explicitly)."""
    if sharing.shared:
        os.umask(0o007)


def make_dir(path: Path, sharing: Sharing) -> Path:
    """Create ``path`` and missing parents with the sharing's folder mode (and group), whatever
    the umask; folders that exist are left alone. A name that is not a folder is refused."""
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
            continue     # another coder made it first: theirs is as good as ours
        if sharing.gid is not None:
            os.chown(folder, -1, sharing.gid, follow_symlinks=False)
        os.chmod(folder, sharing.dir_mode, follow_symlinks=False)
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(path))
    return path


def fix_new_file(fd: int, sharing: Sharing) -> None:
    """Give a file we just created the sharing's mode and group (O_CREAT's mode is umasked)."""
    if sharing.gid is not None:
        os.fchown(fd, -1, sharing.gid)
    os.fchmod(fd, sharing.file_mode)
