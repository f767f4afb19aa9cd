"""Check and review the embedded convention tables (``fixtures/conventions/``).

    python scripts/build_conventions.py --check            # exit 1 naming every problem
    python scripts/build_conventions.py --review laterality  # the laterality rows with titles and counts
    python scripts/build_conventions.py --review corpus      # both free corpora's codes with titles

The tables are written by hand from their sources (each file's header and README.md name
them); this script is their review tool, not their generator. ``--check`` verifies, against
the embedded classifications (``fixtures/classifications/``, HES 2012/13-2023/24):

- every table reads (columns, values, no row covering a code twice);
- every row names at least one code of its classification;
- each asterisk category exists, and every ICD-10 category whose title says "in diseases
  classified elsewhere" is an asterisk category or a reviewed exception (``NOT_ASTERISK``);
- each dagger reference belongs to an asterisk category and covers existing codes;
- no OPCS-4 code's title contradicts its laterality row ("Bilateral ..." under a paired row: the
  title already gives the side; "Unilateral ..." under an unpaired one);
- every OPCS-4 category recorded more than ``COVERAGE_FLOOR`` times in the latest year has a
  laterality row (procedures; chapter Z and O site codes in the site table; chapter Y and
  Z94 need none).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from workbench.core.classifications.convention_tables import (  # noqa: E402
    CONVENTIONS_DIR,
    ConventionTableError,
    covers,
    expand,
    read_tables,
)

CLASSIFICATIONS = PROJECT / "fixtures" / "classifications"
CORPORA = (PROJECT / "benchmarks" / "data" / "free-episodes.tsv",
           PROJECT / "benchmarks" / "data" / "free-episodes-heldout.tsv")
COVERAGE_FLOOR = 1000
#: Categories whose titles say "classified elsewhere" but are not asterisk categories (reviewed).
BOTH_SIDES = re.compile(r"\bbilateral\b|^double\b", re.IGNORECASE)
ONE_SIDE = re.compile(r"\bunilateral\b", re.IGNORECASE)
NOT_ASTERISK = {"F54": "psychological factors associated with disorders classified elsewhere: a primary code"}


def codes_of(classification: str) -> dict[str, tuple[str, str]]:
    """code -> (level, title) of the embedded classification."""
    with (CLASSIFICATIONS / f"{classification}.tsv").open(encoding="utf-8", newline="") as handle:
        return {r["code"]: (r["level"], r["title"])
                for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)}


def latest_uses(classification: str) -> Counter:
    """Category -> episodes in the latest year (the sum over its codes)."""
    uses: Counter = Counter()
    with (CLASSIFICATIONS / f"{classification}-usage.tsv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        latest = reader.fieldnames[-1]
        for row in reader:
            uses[row["code"][:3]] += int(row[latest] or 0)
    return uses


def _rows(name: str) -> list[tuple[int, dict[str, str]]]:
    lines = (CONVENTIONS_DIR / name).read_text(encoding="utf-8").splitlines()
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip() and not line.startswith("#")]
    header = numbered[0][1].split("\t")
    return [(n, dict(zip(header, line.split("\t"), strict=True))) for n, line in numbered[1:]]


def _names_something(spec: str, known: dict[str, tuple[str, str]]) -> bool:
    return any(key in known for _, key in expand(spec))


def check() -> list[str]:
    """Every problem found, as 'file:line: what' (empty when the tables are sound)."""
    try:
        tables = read_tables(CONVENTIONS_DIR)
    except ConventionTableError as exc:
        return [str(exc)]
    known = {"icd10": codes_of("icd10"), "opcs4": codes_of("opcs4")}
    problems: list[str] = []
    for name, column, fixed in (("icd10-asterisk.tsv", "code", "icd10"), ("icd10-dagger-pairs.tsv", "asterisk", "icd10"),
                                ("sex-limits.tsv", "codes", None), ("age-limits.tsv", "codes", None),
                                ("opcs4-laterality.tsv", "codes", "opcs4"),
                                ("opcs4-site-laterality.tsv", "codes", "opcs4")):
        for number, row in _rows(name):
            classification = fixed or row["classification"]
            if not _names_something(row[column], known[classification]):
                problems.append(f"{name}:{number}: {row[column]} names no {classification} code")
    for code, (level, title) in known["icd10"].items():
        if level == "category" and "classified elsewhere" in title.lower() and not tables.is_asterisk(code) \
                and code not in NOT_ASTERISK:
            problems.append(f"icd10-asterisk.tsv: {code} ({title}) is not listed nor a reviewed exception")
    for number, row in _rows("icd10-dagger-pairs.tsv"):
        if not all(tables.is_asterisk(key + ".0" if len(key) == 3 else key) for _, key in expand(row["asterisk"])):
            problems.append(f"icd10-dagger-pairs.tsv:{number}: {row['asterisk']} is not in an asterisk category")
        for reference in row["daggers"].split():
            if not any(covers(reference, code) for code in known["icd10"]):
                problems.append(f"icd10-dagger-pairs.tsv:{number}: the dagger reference {reference} covers no code")
    problems += _side_words(tables, known["opcs4"])
    uses = latest_uses("opcs4")
    for category, count in sorted(uses.items()):
        if count <= COVERAGE_FLOOR or category[0] == "Y" or category == "Z94":
            continue
        site = category[0] == "Z" or (category[0] == "O" and tables.site_side(category))
        found = tables.site_side(category) if site else tables.procedure_laterality(category)
        if found is None:
            problems.append(f"opcs4-laterality.tsv: {category} ({count:,} in the latest year) has no row")
    return problems


def _side_words(tables, opcs4: dict[str, tuple[str, str]]) -> list[str]:
    """A title that states its side contradicts the row: "Bilateral ..." or "Double ..." under a
    paired row (the code needs no Z94 to say both sides), "Unilateral ..." under an unpaired one."""
    problems = []
    for code, (level, title) in opcs4.items():
        if level != "code" or code[0] in "YZ":
            continue
        side = tables.procedure_laterality(code)
        if side == "paired" and BOTH_SIDES.search(title):
            problems.append(f"opcs4-laterality.tsv: {code} ({title}) states both sides but its row is paired")
        elif side == "unpaired" and ONE_SIDE.search(title):
            problems.append(f"opcs4-laterality.tsv: {code} ({title}) is one side of a pair but its row is unpaired")
    return problems


def review_laterality() -> None:
    """Every OPCS-4 category with its laterality, latest count and title: a reviewer reads this."""
    tables = read_tables(CONVENTIONS_DIR)
    titles = codes_of("opcs4")
    uses = latest_uses("opcs4")
    writer = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    writer.writerow(["category", "laterality", "table", "episodes", "title"])
    for code, (level, title) in titles.items():
        if level != "category" or code[0] == "Y":
            continue
        site = tables.site_side(code)
        writer.writerow([code, site or tables.procedure_laterality(code) or "-", "site" if site else "procedure",
                         uses.get(code, 0), title])


def review_corpus() -> None:
    """Each episode of the free benchmark's corpora with every code's title, for a reviewer."""
    titles = {"opcs4": codes_of("opcs4"), "icd10": codes_of("icd10")}
    lines = []
    for corpus in CORPORA:
        lines += [line for line in corpus.read_text(encoding="utf-8").splitlines()[1:]
                  if line and not line.startswith(("#", "id\t"))]
    for line in lines:
        ident, specialty, sex, age, procedures, diagnoses, tags = line.split("\t")
        print(f"{ident} ({specialty}, {sex} {age}{', ' + tags if tags else ''})")
        for classification, codes in (("opcs4", procedures), ("icd10", diagnoses)):
            for code in codes.split():
                if code != "-":
                    bare = code.rstrip("+*")
                    print(f"    {classification} {code:<8} {titles[classification].get(bare, ('', '?'))[1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="check the tables; exit 1 naming every problem")
    parser.add_argument("--review", choices=["laterality", "corpus"], help="print a table for a reviewer")
    args = parser.parse_args(argv)
    if args.review == "laterality":
        review_laterality()
    elif args.review == "corpus":
        review_corpus()
    if args.check or not args.review:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problem(s) in fixtures/conventions", file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
