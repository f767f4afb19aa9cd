"""Loading rule pack files: any failure becomes a :class:`PackError` naming file and line.

PyYAML is imported inside the functions: the app's start-up path must not pay for it.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from workbench.core.paths import UnusableFile, regular_file_or_none
from workbench.core.rules.files import PACKS_DIR, pack_files
from workbench.core.rules.model import Pack, PackError
from workbench.core.rules.nodes import line_of

MAX_BYTES = 64_000      # a pack is a page or two (the largest shipped is 5 KB); PyYAML parses ~100 KB a second


def load_pack(path: str | os.PathLike) -> Pack:
    name = str(path)
    try:
        # By type before opening (a FIFO would block, /dev/zero never ends), then a bounded read.
        if regular_file_or_none(Path(path), "rule pack") is None:
            raise FileNotFoundError(errno.ENOENT, "no such file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except UnusableFile as exc:
        raise PackError(name, 1, exc.strerror) from None
    except OSError as exc:
        raise PackError(name, 1, f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise PackError(name, 1, f"the file is too large to be a rule pack (over {MAX_BYTES // 1000} KB)")
    if b"\x00" in data:
        raise PackError(name, 1, "this is not a text file (it contains binary data)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PackError(name, line, "this is not UTF-8 text (save the file as UTF-8)") from None
    return load_pack_text(text, name)


def load_pack_text(text: str, name: str = "<pack>") -> Pack:
    import yaml

    from workbench.core.rules.schema import PackBuilder

    try:
        # libyaml's composer (when built) is several times faster and keeps the same line marks.
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "the YAML does not parse"
        raise PackError(name, line, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        line = text[:position].count("\n") + 1 if isinstance(position, int) else 1
        reason = getattr(exc, "reason", None) or "the YAML does not parse"
        raise PackError(name, line, f"YAML error: {reason}") from None
    except RecursionError:
        raise PackError(name, 1, "the file is nested too deeply to be a rule pack") from None
    if root is None:
        raise PackError(name, 1, "the file is empty")
    try:
        return PackBuilder(name).build(root)
    except PackError:
        raise
    except RecursionError:
        raise PackError(name, line_of(root), "the file is nested too deeply to be a rule pack") from None


_cache: dict[str, tuple[tuple, dict[str, Pack], list[PackError]]] = {}


def load_shipped(directory: Path | None = None) -> tuple[dict[str, Pack], list[PackError]]:
    """Every pack in the folder by guidance id, and the errors of those that did not load.

    Cached on the files' names, sizes and modification times, so the app can call
    it freely and still sees an edited pack.
    """
    files = pack_files(directory)
    signature = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    key = str(directory or PACKS_DIR)
    cached = _cache.get(key)
    if cached and cached[0] == signature:
        return dict(cached[1]), list(cached[2])
    packs: dict[str, Pack] = {}
    errors: list[PackError] = []
    for path in files:
        try:
            pack = load_pack(path)
        except PackError as exc:
            errors.append(exc)
            continue
        if pack.guidance_id in packs:
            errors.append(PackError(str(path), 1, f"a second pack for {pack.guidance_id}"))
            continue
        packs[pack.guidance_id] = pack
    _cache[key] = (signature, packs, errors)
    return dict(packs), list(errors)


def shipped_packs() -> dict[str, Pack]:
    """The shipped packs that load, by guidance id (broken ones are reported by the linter)."""
    return load_shipped()[0]


def normalise_guidance_id(text: str) -> str:
    """'ipg 75', 'IPG75', '75' -> 'IPG75'."""
    cleaned = "".join(str(text).split()).upper()
    if cleaned.isdigit():
        return f"IPG{int(cleaned)}"
    if cleaned.startswith("IPG") and cleaned[3:].isdigit():
        return f"IPG{int(cleaned[3:])}"
    return cleaned


def find_pack(guidance_id: str) -> Pack | None:
    packs = shipped_packs()
    wanted = normalise_guidance_id(guidance_id)
    return packs.get(wanted) or next((p for p in packs.values() if p.id.upper() == wanted), None)
