"""The codes as a PAS takes them when a coder pastes them in (ctrl+y in the app).

PAS screens differ: some take the whole sequence in one field, others have a procedures
field and a diagnoses field; some refuse the dot (``K578``) or the dagger and asterisk
marks. The format is the department's, set once in the config file::

    [copy]
    lists = "separate"     # "together" (default): procedures then diagnoses in one text
    dots = false           # default true: K57.8
    marks = false          # default true: E10.3† H36.0*
    separator = " "        # default one space

With ``lists = "separate"`` the first ctrl+y copies the procedures and the next one the
diagnoses. The default copies ``K57.8 Y02.1 Y53.4 I50.0`` in one go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MARK_SIGNS = {"dagger": "\u2020", "asterisk": "*"}
LISTS = ("together", "separate")


@dataclass(frozen=True)
class CopyFormat:
    lists: str = "together"
    dots: bool = True
    marks: bool = True
    separator: str = " "

    def describe(self) -> str:
        return (f"{'procedures and diagnoses separately' if self.lists == 'separate' else 'one text'}, "
                f"{'with' if self.dots else 'without'} dots, {'with' if self.marks else 'without'} marks")


def copy_format(config: dict) -> tuple[CopyFormat, list[str]]:
    """The ``[copy]`` table of the config, and problems found in it (the default is kept for those)."""
    table = config.get("copy", {})
    if not isinstance(table, dict):
        return CopyFormat(), ["[copy] in the config file must be a table (lists, dots, marks, separator)"]
    problems: list[str] = []
    values: dict[str, object] = {}
    for key, value in table.items():
        if _usable(key, value):
            values[key] = value
        elif key in ("lists", "dots", "marks", "separator"):
            wanted = {"lists": '"together" or "separate"', "dots": "true or false",
                      "marks": "true or false", "separator": "one to three printable characters"}[key]
            problems.append(f"[copy] {key} must be {wanted}")
        else:
            problems.append(f"unknown key '{key}' in [copy] (lists, dots, marks, separator)")
    return CopyFormat(**values), problems  # type: ignore[arg-type]


def _usable(key: str, value: object) -> bool:
    if key == "lists":
        return value in LISTS
    if key in ("dots", "marks"):
        return isinstance(value, bool)
    return key == "separator" and isinstance(value, str) and 0 < len(value) <= 3 and value.isprintable()


def _shown(code: str, mark: str | None, fmt: CopyFormat) -> str:
    text = code if fmt.dots else code.replace(".", "")
    return text + (MARK_SIGNS.get(mark or "", "") if fmt.marks else "")


def copy_parts(fmt: CopyFormat, procedures: Iterable[str],
               diagnoses: Iterable[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """[(what, text)] to copy in turn: one part ("codes"), or "procedures" then "diagnoses"
    (a list left empty is skipped). ``diagnoses`` are (code, mark) pairs."""
    procs = [_shown(code, None, fmt) for code in procedures]
    diags = [_shown(code, mark, fmt) for code, mark in diagnoses]
    if fmt.lists == "together":
        text = fmt.separator.join(procs + diags)
        return [("codes", text)] if text else []
    return [(what, fmt.separator.join(codes)) for what, codes in (("procedures", procs), ("diagnoses", diags))
            if codes]
