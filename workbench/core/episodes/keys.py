"""The optional department key: a keyed hash (HMAC-SHA256) on every version and checkpoint.

The hash chain proves the rows agree with each other, and checkpoints prove nothing
was lost or rewritten before them; neither stops someone with write access appending
a well-formed version. With a department key, each version carries
``HMAC(key, its chain hash)``: a version appended without the key (a forgery, or a
workbench not given the key) fails verify from the first keyed version on.

The key is text of at least 32 characters (``workbench log key --new FILE`` writes 64
random hex digits), read from, in order: ``--key-file``, ``$WORKBENCH_LOG_KEY_FILE``,
config ``[log] key_file``, config ``[log] key``. A key file, or a config holding the
key, must be a regular file readable by its owner only; anything else is refused
rather than used, so the key never sits where other users can read it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from workbench.core.episodes.model import LogError

ENV_VAR = "WORKBENCH_LOG_KEY_FILE"
MIN_KEY_CHARS = 32
MAX_KEY_FILE_BYTES = 4096


@dataclass(frozen=True)
class DepartmentKey:
    secret: bytes
    source: str                              # where it was read from (named in messages, never shown)

    @property
    def id(self) -> str:
        """A short public name for the key (recorded in checkpoints; reveals nothing of it)."""
        return hashlib.sha256(b"workbench department key id\0" + self.secret).hexdigest()[:12]

    def mac(self, chain_hash: str) -> str:
        """The keyed hash of one version, over its chain hash (which covers its content)."""
        return hmac.digest(self.secret, b"version\0" + chain_hash.encode("ascii"), "sha256").hex()

    def sign(self, text: str) -> str:
        """The keyed hash of a checkpoint line's content."""
        return hmac.digest(self.secret, b"checkpoint\0" + text.encode("utf-8"), "sha256").hex()

    def checks(self, chain_hash: object, mac: object) -> bool:
        if not isinstance(chain_hash, str) or not isinstance(mac, str) or not chain_hash.isascii():
            return False
        return hmac.compare_digest(self.mac(chain_hash), mac)


def load_key(explicit: str | Path | None = None) -> DepartmentKey | None:
    """The department key, or None when none is configured; LogError when one is configured
    but unusable (missing, readable by others, too short)."""
    from workbench.core import paths

    if explicit:
        return _from_file(_expanded(explicit), "--key-file")
    if os.environ.get(ENV_VAR):
        return _from_file(_expanded(os.environ[ENV_VAR]), ENV_VAR)
    try:
        section = paths.load_config().get("log", {})
    except paths.ConfigError as exc:
        raise LogError(str(exc)) from None
    if not isinstance(section, dict):
        return None
    if section.get("key_file"):
        if not isinstance(section["key_file"], str):
            raise LogError(f"{paths.config_path()}: 'log.key_file' must be text")
        return _from_file(_expanded(section["key_file"]), "config log.key_file")
    if section.get("key") is not None:
        if not isinstance(section["key"], str):
            raise LogError(f"{paths.config_path()}: 'log.key' must be text")
        _owner_only(paths.config_path(), "the config file holding the department key")
        return _checked(section["key"], "config log.key")
    return None


def new_key_file(path: str | Path) -> Path:
    """Write a new random key (64 hex digits) to a new file, mode 0600; never over a file."""
    import secrets

    from workbench.core.paths import write_private_file

    target = _expanded(path)
    try:
        return write_private_file(target, secrets.token_hex(32) + "\n")
    except FileExistsError:
        raise LogError(f"{target} already exists; a key file is never overwritten") from None
    except OSError as exc:
        raise LogError(f"{target}: cannot write the key file ({exc.strerror})") from None


def _expanded(path: str | Path) -> Path:
    from workbench.core.paths import UnusableFile, expand_user

    try:
        return expand_user(path, "key file's name")
    except UnusableFile as exc:
        raise LogError(exc.strerror) from None


def _owner_only(path: Path, what: str) -> os.stat_result:
    from workbench.core.paths import UnusableFile, regular_file_or_none

    try:
        info = regular_file_or_none(path, what)
    except UnusableFile as exc:
        raise LogError(exc.strerror) from None
    except OSError as exc:
        raise LogError(f"{path}: cannot read {what} ({exc.strerror})") from None
    if info is None:
        raise LogError(f"{path}: {what} does not exist")
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LogError(f"{path}: {what} can be read by other users (mode "
                       f"{stat.S_IMODE(info.st_mode):o}); run chmod 600 on it. It was not used")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise LogError(f"{path}: {what} belongs to another user; it was not used")
    return info


def _from_file(path: Path, source: str) -> DepartmentKey:
    info = _owner_only(path, "the department key file")
    if info.st_size > MAX_KEY_FILE_BYTES:
        raise LogError(f"{path}: too large to be a key file ({info.st_size} bytes)")
    try:
        # The type was checked first (a FIFO would block); the read is bounded anyway.
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LogError(f"{path}: the key file is not text") from None
    except OSError as exc:
        raise LogError(f"{path}: cannot read the key file ({exc.strerror})") from None
    return _checked(text, f"{source} {path}")


def _checked(text: str, source: str) -> DepartmentKey:
    secret = text.strip()
    if len(secret) < MIN_KEY_CHARS or not secret.isprintable():
        raise LogError(f"the department key ({source}) must be at least {MIN_KEY_CHARS} printable "
                       "characters on one line; 'workbench log key --new FILE' makes one")
    return DepartmentKey(secret.encode("utf-8"), source)
