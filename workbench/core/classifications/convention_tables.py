"""The embedded tables behind the episode conventions (``fixtures/conventions/``).

Which ICD-10 categories are asterisk categories and which dagger codes WHO names for an
asterisk code; which ICD-10 codes are never the primary diagnosis; which codes apply to one sex
or an age range; which OPCS-4 procedures and site codes are on a paired organ (laterality);
which body system a code of either classification belongs to. Each table is a tab-separated file with its
source in its header comment and in ``fixtures/conventions/README.md``; they are read once
per process (a few hundred rows, about a millisecond) and need no import. An imported
release's metadata refines them: :mod:`patient_checks` asks it first.

A row names codes as a category ("D29"), a code ("B26.0"), a range of categories ("N40-N51",
"C00-D48") or a range of codes ("D07.4-D07.6"). Lookups take a canonical code ("N40", "S72.0",
"H19.8A") and find its code row, else its category row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from workbench.core.paths import FIXTURES_DIR

CONVENTIONS_DIR = FIXTURES_DIR / "conventions"
#: paired: Z94 required; unpaired: Z94 questioned; site: the title names no organ or site, so the site
#: code decides (and a Z94 straight after the procedure, with no site, is questioned); either: not checked.
LATERALITY_VALUES = ("paired", "unpaired", "site", "either")
#: The body systems of fixtures/conventions/body-systems.tsv.
SYSTEMS = ("nervous", "endocrine", "breast", "eye", "ear", "nose-throat", "chest", "mouth", "digestive",
           "heart", "vessels", "urogenital", "female-genital", "pregnancy", "skin", "musculoskeletal")
SEXES = ("male", "female")
_CATEGORY = re.compile(r"^[A-Z]\d\d$")
_CODE = re.compile(r"^[A-Z]\d\d\.\d$")


class ConventionTableError(ValueError):
    """A table row that cannot be read; ``str()`` names the file and line."""


@dataclass(frozen=True)
class AgeLimit:
    min_age: int | None
    max_age: int | None
    severity: str                 # "warning" | "error"
    note: str
    source: str


@dataclass(frozen=True)
class SexLimit:
    sex: str                      # "male" | "female"
    note: str
    source: str


@dataclass
class CodeTable:
    """Values by code ("D07.4") and by category ("D29")."""

    by_code: dict[str, object] = field(default_factory=dict)
    by_category: dict[str, object] = field(default_factory=dict)

    def get(self, code: str) -> object | None:
        code = code.upper()
        if len(code) > 4 and code[3] == ".":
            value = self.by_code.get(code[:5])
            if value is not None:
                return value
        return self.by_category.get(code[:3])

    def add(self, spec: str, value: object, where: str) -> None:
        for kind, key in expand(spec, where):
            target = self.by_code if kind == "code" else self.by_category
            if key in target:
                raise ConventionTableError(f"{where}: {key} is already in another row")
            target[key] = value


def expand(spec: str, where: str = "") -> list[tuple[str, str]]:
    """'N40-N51' -> [('category', 'N40'), ...]; 'D07.4-D07.6' -> [('code', 'D07.4'), ...]."""
    spec = spec.strip().upper()
    low, _, high = spec.partition("-")
    high = high or low
    if _CATEGORY.match(low) and _CATEGORY.match(high):
        if low > high:
            raise ConventionTableError(f"{where}: the range {spec} runs backwards")
        out = []
        for letter in range(ord(low[0]), ord(high[0]) + 1):
            first = int(low[1:]) if chr(letter) == low[0] else 0
            last = int(high[1:]) if chr(letter) == high[0] else 99
            out += [("category", f"{chr(letter)}{n:02d}") for n in range(first, last + 1)]
        return out
    if _CODE.match(low) and _CODE.match(high) and low[:4] == high[:4] and low <= high:
        return [("code", f"{low[:4]}{n}") for n in range(int(low[4]), int(high[4]) + 1)]
    raise ConventionTableError(f"{where}: '{spec}' is not a category, code or range of them")


def covers(spec: str, code: str) -> bool:
    """Whether a dagger reference ('E11.3', 'G30', 'C00-D48') covers a canonical code."""
    low, _, high = spec.upper().partition("-")
    code = code.upper()
    if not high:
        return code == low or (len(low) == 3 and code[:3] == low)
    if len(low) == 3:
        return low <= code[:3] <= high
    return low <= code[:5] <= high


@dataclass
class ConventionTables:
    asterisk: CodeTable
    daggers: CodeTable                       # asterisk code -> tuple of dagger references
    sex: dict[str, CodeTable]                # classification -> SexLimit values
    age: dict[str, CodeTable]                # classification -> AgeLimit values
    laterality: CodeTable                    # OPCS-4 procedure -> paired | unpaired | site | either
    site_laterality: CodeTable               # OPCS-4 site code -> paired | unpaired | either
    secondary_only: CodeTable                # ICD-10 code -> why it is never the primary diagnosis
    systems: dict[str, CodeTable]            # classification -> tuple of body systems

    def is_asterisk(self, code: str) -> bool:
        return self.asterisk.get(code) is not None

    def dagger_references(self, code: str) -> tuple[str, ...]:
        return self.daggers.get(code) or ()  # type: ignore[return-value]

    def sex_limit(self, classification: str, code: str) -> SexLimit | None:
        table = self.sex.get(classification)
        return table.get(code) if table else None  # type: ignore[return-value]

    def age_limit(self, classification: str, code: str) -> AgeLimit | None:
        table = self.age.get(classification)
        return table.get(code) if table else None  # type: ignore[return-value]

    def procedure_laterality(self, code: str) -> str | None:
        return self.laterality.get(code)  # type: ignore[return-value]

    def site_side(self, code: str) -> str | None:
        return self.site_laterality.get(code)  # type: ignore[return-value]

    def never_primary(self, code: str) -> str | None:
        """Why an ICD-10 code is never the primary diagnosis (WHO's note), or None."""
        return self.secondary_only.get(code)  # type: ignore[return-value]

    def body_systems(self, classification: str, code: str) -> tuple[str, ...]:
        table = self.systems.get(classification)
        return (table.get(code) or ()) if table else ()  # type: ignore[return-value]


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; '#' lines are the file's header comment."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConventionTableError(f"{path.name}: cannot be read ({exc.strerror})") from None
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip() and not line.startswith("#")]
    if not numbered:
        raise ConventionTableError(f"{path.name}: no header line")
    header = numbered[0][1].split("\t")
    out = []
    for number, line in numbered[1:]:
        cells = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        if len(cells) != len(header):
            raise ConventionTableError(f"{path.name}:{number}: expected {len(header)} columns, found {len(cells)}")
        out.append((number, dict(zip(header, cells, strict=True))))
    return out


def _age(text: str, where: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise ConventionTableError(f"{where}: an age is whole years, not '{text}'")
    return int(text)


def read_tables(folder: Path = CONVENTIONS_DIR) -> ConventionTables:
    """Every table of ``folder``; raises :class:`ConventionTableError` naming the file and line."""
    asterisk, daggers = CodeTable(), CodeTable()
    for number, row in _rows(folder / "icd10-asterisk.tsv"):
        asterisk.add(row["code"], row["source"], f"icd10-asterisk.tsv:{number}")
    for number, row in _rows(folder / "icd10-dagger-pairs.tsv"):
        where = f"icd10-dagger-pairs.tsv:{number}"
        references = tuple(row["daggers"].split())
        for reference in references:
            expand(reference, where)        # each must be a code, category or range
        daggers.add(row["asterisk"], references, where)
    sex = {"icd10": CodeTable(), "opcs4": CodeTable()}
    for number, row in _rows(folder / "sex-limits.tsv"):
        where = f"sex-limits.tsv:{number}"
        if row["sex"] not in SEXES or row["classification"] not in sex:
            raise ConventionTableError(f"{where}: classification icd10|opcs4 and sex male|female")
        sex[row["classification"]].add(row["codes"], SexLimit(row["sex"], row["note"], row["source"]), where)
    age = {"icd10": CodeTable(), "opcs4": CodeTable()}
    for number, row in _rows(folder / "age-limits.tsv"):
        where = f"age-limits.tsv:{number}"
        if row["severity"] not in ("warning", "error") or row["classification"] not in age:
            raise ConventionTableError(f"{where}: classification icd10|opcs4 and severity warning|error")
        limit = AgeLimit(_age(row["min_age"], where), _age(row["max_age"], where), row["severity"],
                         row["note"], row["source"])
        age[row["classification"]].add(row["codes"], limit, where)
    laterality, sites = CodeTable(), CodeTable()
    for name, table, allowed in (("opcs4-laterality.tsv", laterality, LATERALITY_VALUES),
                                 ("opcs4-site-laterality.tsv", sites, ("paired", "unpaired", "either"))):
        for number, row in _rows(folder / name):
            if row["laterality"] not in allowed:
                raise ConventionTableError(f"{name}:{number}: laterality is {', '.join(allowed)}")
            table.add(row["codes"], row["laterality"], f"{name}:{number}")
    secondary = CodeTable()
    for number, row in _rows(folder / "icd10-secondary-only.tsv"):
        secondary.add(row["codes"], row["note"], f"icd10-secondary-only.tsv:{number}")
    systems = {"icd10": CodeTable(), "opcs4": CodeTable()}
    for number, row in _rows(folder / "body-systems.tsv"):
        where = f"body-systems.tsv:{number}"
        named = tuple(row["system"].split())
        if row["classification"] not in systems or not named or any(s not in SYSTEMS for s in named):
            raise ConventionTableError(f"{where}: classification icd10|opcs4 and systems of {', '.join(SYSTEMS)}")
        systems[row["classification"]].add(row["codes"], named, where)
    return ConventionTables(asterisk, daggers, sex, age, laterality, sites, secondary, systems)


@lru_cache(maxsize=1)
def tables() -> ConventionTables:
    """The shipped tables, read once per process."""
    return read_tables(CONVENTIONS_DIR)
