"""Patient identifiers from a file, stdin or a prompt: never from the command line.

A command line is visible to every user of the machine (``ps``) while the command
runs, for instance while a save waits for another coder's lock, and it stays in
shell history. ``log add --details FILE`` (or ``--details -`` for stdin) reads the
episode details instead, as JSON or as ``key=value`` lines::

    patient=HOSP-123456
    nhs=943 476 5919
    episode=SP-2026-0042
    date=2026-11-02

On a terminal, details still missing are asked for. The old flags (``--patient``,
``--nhs``, ``--episode``) keep working with a warning. Messages name keys and line
numbers, never values: a value may identify a patient.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workbench.commands import UserError

MAX_BYTES = 64_000
#: Flags whose values identify a patient: warned about when given on the command line.
IDENTIFYING = ("patient", "nhs", "episode")
_ALIASES = {"nhs_number": "nhs", "nhs-number": "nhs", "nhs number": "nhs"}
_PROMPTS = {"patient": "Local patient identifier", "nhs": "NHS number (optional, Enter to skip)",
            "episode": "Episode reference", "date": "Episode start date (YYYY-MM-DD)",
            "reason": "Reason for the amendment"}


def add_details_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--details", metavar="FILE", help="read the episode details (patient, nhs, episode, "
                        "date, ...) from FILE, or - for stdin: JSON or key=value lines. Keeps identifiers "
                        "out of the process list and shell history")


def fill(args: argparse.Namespace, fields: tuple[str, ...], required: tuple[str, ...],
         optional_prompts: tuple[str, ...] = ()) -> None:
    """Set ``args.<field>`` from --details, then from prompts; warn about identifying flags."""
    flags = [f"--{name}" for name in IDENTIFYING if name in fields and getattr(args, name, None) is not None]
    if flags:
        print(f"workbench: warning: {' and '.join(flags)} on the command line: visible to other "
              "users (ps) and kept in shell history; use --details FILE or --details - instead",
              file=sys.stderr)
    source = getattr(args, "details", None)
    if source is not None:
        for key, value in read_details(source, fields).items():
            if getattr(args, key, None) is not None:
                raise UserError(f"{key} is given both on the command line and in --details")
            setattr(args, key, value)
    missing = [name for name in required if not getattr(args, name, None)]
    if not missing:
        return
    if not _interactive():
        named = ", ".join(missing)
        raise UserError(f"missing: {named}; give them with --details FILE (or - for stdin)")
    for name in [*missing, *(n for n in optional_prompts if getattr(args, n, None) is None)]:
        setattr(args, name, _ask(name, required=name in missing))


def read_details(source: str, fields: tuple[str, ...]) -> dict[str, str]:
    """The details in a file (or stdin for ``-``) as {field: text}."""
    from workbench.core.paths import UnusableFile, regular_file_or_none

    where = "stdin" if source == "-" else source
    try:
        if source == "-":
            text = _read_stdin()
        else:
            if regular_file_or_none(Path(source), "details file") is None:
                raise UserError(f"{source}: no such details file")
            with open(source, encoding="utf-8") as handle:
                text = handle.read(MAX_BYTES + 1)
    except UnusableFile as exc:
        raise UserError(exc.strerror) from None
    except UnicodeDecodeError:
        raise UserError(f"{where}: the details are not UTF-8 text") from None
    except OSError as exc:
        raise UserError(f"{where}: cannot read the details ({exc.strerror})") from None
    if len(text) > MAX_BYTES:
        raise UserError(f"{where}: too large for episode details")
    return parse_details(text, fields, where)


def _read_stdin() -> str:
    """stdin as UTF-8 whatever the locale says (PYTHONIOENCODING=ascii must not refuse Zoë)."""
    if sys.stdin is None:
        return ""
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:
        return sys.stdin.read(MAX_BYTES + 1)
    return raw.read(MAX_BYTES + 1).decode("utf-8")


def parse_details(text: str, fields: tuple[str, ...], where: str = "details") -> dict[str, str]:
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError) as exc:
            line = getattr(exc, "lineno", 1)
            raise UserError(f"{where}:{line}: not valid JSON") from None
        if not isinstance(data, dict):
            raise UserError(f"{where}: JSON details must be an object of key: value")
        pairs = [(str(k), v, 1) for k, v in data.items()]
    else:
        pairs = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, equals, value = line.partition("=")
            if not equals:
                raise UserError(f"{where}:{number}: expected key=value")
            pairs.append((key, value.strip(), number))
    found: dict[str, str] = {}
    for key, value, number in pairs:
        name = key.strip().lower()
        name = _ALIASES.get(name, name)
        if name not in fields:
            # The key is not repeated: a misplaced line may be an identifier.
            raise UserError(f"{where}:{number}: unknown key (known: {', '.join(fields)})")
        if name in found:
            raise UserError(f"{where}:{number}: '{name}' is given twice")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise UserError(f"{where}:{number}: '{name}' must be text")
        found[name] = str(value)
    return found


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()
    except (ValueError, OSError):
        return False


def _ask(name: str, *, required: bool) -> str | None:
    while True:
        sys.stderr.write(f"{_PROMPTS.get(name, name)}: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            raise UserError(f"{name} was not given")
        value = line.strip()
        if value or not required:
            return value or None
        sys.stderr.write(f"{name} is required\n")
