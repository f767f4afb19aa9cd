"""Mutation test of the episode conventions on free-coded episodes (no guidance).

``python -m benchmarks.free_mutation [--json]``

Two corpora of right episodes, measured side by side: ``benchmarks/data/free-episodes.tsv``
("written": whole finished episodes written by hand across specialties with the checks, and
reviewed code by code) and ``benchmarks/data/free-episodes-heldout.tsv`` ("held-out": written by
a second engineer without running the checks, the honest measure of false alarms; a check that
refuses or warns one of them is a defect to fix generally). Each episode is mutated once per
convention, the way a coder gets it wrong:

| operator | mutant |
|---|---|
| drop-diagnoses | every diagnosis removed (procedures alone) |
| swap-list | one code moved to the other list (each code in turn) |
| asterisk-first | the asterisk code moved to the first diagnosis |
| drop-dagger | the code before an asterisk code removed |
| drop-external-cause | the external cause codes (V01-Y98) of an injury removed |
| drop-laterality | one laterality code (Z94) removed |
| add-laterality | Z94.2 added after the main operation on an organ without a side (tag ``unpaired``) |
| flip-sex | the other sex, on an episode with codes of one sex (tag ``sex``) |
| change-age | a newborn made 35, a mother 62 and 8 (tags ``newborn``, ``obstetric``) |
| same-shape | a code whose shape exists in the other classification moved to that list |

The operators read only the corpus (its marks and tags, the code ranges the conventions name),
never the checks' tables. Every request goes through ``workbench check --batch`` as a finished
episode with the patient's sex and age, codes sent without their dagger and asterisk marks
(the checks must know them). A mutant is **flagged** when the checker reports an error, or a
warning the right episode did not have. A right episode is **refused** when it gets an error;
**warned** when it gets a warning. Targets: every operator at least 95% flagged on the written
corpus, no right episode of either corpus refused; the held-out shares and the right episodes
warned are reported beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "data" / "free-episodes.tsv"
HELDOUT = Path(__file__).resolve().parent / "data" / "free-episodes-heldout.tsv"
CORPORA = {"written": CORPUS, "held-out": HELDOUT}
OPERATORS = ("drop-diagnoses", "swap-list", "asterisk-first", "drop-dagger", "drop-external-cause",
             "drop-laterality", "add-laterality", "flip-sex", "change-age", "same-shape")
TARGET = 0.95


@dataclass(frozen=True)
class Episode:
    id: str
    specialty: str
    sex: str
    age: int
    procedures: tuple[str, ...]
    diagnoses: tuple[str, ...]          # with the corpus marks: "G30.1+" dagger, "F00.1*" asterisk
    tags: frozenset[str] = frozenset()

    def request(self) -> dict:
        return {"procedures": list(self.procedures), "diagnoses": [bare(c) for c in self.diagnoses],
                "sex": self.sex, "age": self.age}

    def describe(self) -> str:
        return (f"{self.id} {self.sex} {self.age}: {' '.join(self.procedures) or '-'} | "
                f"{' '.join(self.diagnoses) or '-'}")


def bare(code: str) -> str:
    return code.rstrip("+*")


def read_corpus(path: Path = CORPUS) -> list[Episode]:
    out = []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != 7:
            raise ValueError(f"{path.name}: data line {number}: expected 7 columns, found {len(cells)}")
        ident, specialty, sex, age, procedures, diagnoses, tags = cells
        out.append(Episode(ident, specialty, sex, int(age), _codes(procedures), _codes(diagnoses),
                           frozenset(t for t in tags.split(",") if t)))
    return out


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c for c in text.split() if c != "-")


def _category(code: str) -> str:
    return bare(code)[:3]


def is_injury(code: str) -> bool:
    return "S00" <= _category(code) <= "T98"


def is_external_cause(code: str) -> bool:
    return "V01" <= _category(code) <= "Y98"


def mutants(episode: Episode, exists) -> Iterator[tuple[str, Episode]]:
    """(operator, mutant) for one right episode; ``exists(classification, code)`` asks the
    loaded classifications whether a same-shaped code exists (same-shape, swap-list)."""
    procs, diags = list(episode.procedures), list(episode.diagnoses)
    if diags:
        yield "drop-diagnoses", replace(episode, diagnoses=())
    for index, code in enumerate(procs):
        yield "swap-list", replace(episode, procedures=tuple(procs[:index] + procs[index + 1:]),
                                   diagnoses=tuple(diags + [code]))
    for index, code in enumerate(diags):
        yield "swap-list", replace(episode, procedures=tuple(procs + [bare(code)]),
                                   diagnoses=tuple(diags[:index] + diags[index + 1:]))
    asterisks = [i for i, code in enumerate(diags) if code.endswith("*")]
    for index in asterisks:
        moved = [diags[index]] + diags[:index] + diags[index + 1:]
        if moved != diags:
            yield "asterisk-first", replace(episode, diagnoses=tuple(moved))
        if index > 0:
            yield "drop-dagger", replace(episode, diagnoses=tuple(diags[:index - 1] + diags[index:]))
    if any(is_injury(c) for c in diags) and any(is_external_cause(c) for c in diags):
        yield "drop-external-cause", replace(episode, diagnoses=tuple(c for c in diags if not is_external_cause(c)))
    for index, code in enumerate(procs):
        if code.startswith("Z94"):
            yield "drop-laterality", replace(episode, procedures=tuple(procs[:index] + procs[index + 1:]))
    if "unpaired" in episode.tags and procs and not any(c.startswith("Z94") for c in procs):
        yield "add-laterality", replace(episode, procedures=(procs[0], "Z94.2", *procs[1:]))
    if "sex" in episode.tags:
        yield "flip-sex", replace(episode, sex="M" if episode.sex == "F" else "F")
    if "newborn" in episode.tags:
        yield "change-age", replace(episode, age=35)
    if "obstetric" in episode.tags:
        yield "change-age", replace(episode, age=62)
        yield "change-age", replace(episode, age=8)
    for index, code in enumerate(diags):
        if exists("opcs4", bare(code)):
            yield "same-shape", replace(episode, procedures=tuple(procs + [bare(code)]),
                                        diagnoses=tuple(diags[:index] + diags[index + 1:]))
    for index, code in enumerate(procs):
        if not code.startswith(("Y", "Z")) and exists("icd10", code):
            yield "same-shape", replace(episode, procedures=tuple(procs[:index] + procs[index + 1:]),
                                        diagnoses=tuple(diags + [code]))


@dataclass
class Tally:
    total: int = 0
    flagged: int = 0
    by_error: int = 0
    missed: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.flagged / self.total if self.total else 0.0


@dataclass
class Report:
    episodes: int
    refused: list[str]
    warned: list[str]
    operators: dict[str, Tally]

    @property
    def targets_met(self) -> bool:
        return not self.refused and all(t.total and t.share >= TARGET for t in self.operators.values())

    def as_dict(self) -> dict:
        return {"episodes": self.episodes, "right_refused": len(self.refused),
                "right_refused_examples": self.refused[:10], "right_warned": len(self.warned),
                "right_warned_examples": self.warned[:10], "target": TARGET, "targets_met": self.targets_met,
                "operators": {name: {"total": t.total, "flagged": t.flagged, "flagged_by_error": t.by_error,
                                     "share": round(t.share, 4), "missed_examples": t.missed[:10]}
                              for name, t in self.operators.items()}}


def _findings(result: dict) -> tuple[set[str], set[str]]:
    return ({e["id"] for e in result["errors"]},
            {w["id"] for w in result["warnings"] if w["severity"] == "warning"})


def measure(episodes: list[Episode], checker, exists) -> Report:
    cases = [(op, episode, mutant) for episode in episodes for op, mutant in mutants(episode, exists)]
    results = list(checker([e.request() for e in episodes] + [m.request() for _, _, m in cases]))
    right = {e.id: _findings(r) for e, r in zip(episodes, results[:len(episodes)], strict=True)}
    refused = [f"{e.describe()}: {sorted(right[e.id][0])}" for e in episodes if right[e.id][0]]
    warned = [f"{e.describe()}: {sorted(right[e.id][1])}" for e in episodes if right[e.id][1]]
    operators = {name: Tally() for name in OPERATORS}
    for (op, episode, mutant), result in zip(cases, results[len(episodes):], strict=True):
        errors, warnings = _findings(result)
        tally = operators[op]
        tally.total += 1
        new_warning = bool(warnings - right[episode.id][1])
        tally.by_error += bool(errors)
        if errors or new_warning:
            tally.flagged += 1
        else:
            tally.missed.append(mutant.describe())
    return Report(len(episodes), refused, warned, operators)


def batch_checker(catalog):
    from workbench.commands.check import check_requests

    return lambda requests: check_requests(requests, catalog)


def format_report(report: Report) -> str:
    lines = [f"{report.episodes} right free-coded episodes: {len(report.refused)} refused, "
             f"{len(report.warned)} warned"]
    for name, tally in report.operators.items():
        lines.append(f"  {name:<20} {tally.flagged:>5} of {tally.total:>5} flagged ({tally.share:6.1%}; "
                     f"{tally.by_error} by an error; target {TARGET:.0%})")
    for example in report.refused[:5]:
        lines.append(f"  refused: {example}")
    for example in report.warned[:5]:
        lines.append(f"  warned: {example}")
    for name, tally in report.operators.items():
        for example in tally.missed[:3]:
            lines.append(f"  missed {name}: {example}")
    return "\n".join(lines)


def format_side_by_side(reports: dict[str, Report]) -> str:
    """One row per operator, one column per corpus: flagged of total (share)."""
    lines = ["operator".ljust(20) + "".join(f"{name:>26}" for name in reports)]
    lines.append("right refused/warned".ljust(20) + "".join(
        f"{f'{len(r.refused)} / {len(r.warned)} of {r.episodes}':>26}" for r in reports.values()))
    for operator in OPERATORS:
        cells = []
        for report in reports.values():
            tally = report.operators[operator]
            cells.append(f"{tally.flagged:>5} of {tally.total:>5} ({tally.share:6.1%})" if tally.total else "-")
        lines.append(operator.ljust(20) + "".join(f"{cell:>26}" for cell in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.free_mutation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    from workbench.core.classifications import Classifications
    from workbench.core.refdb import open_reference_db

    catalog = Classifications(open_reference_db())
    reports = {name: measure(read_corpus(path), batch_checker(catalog), catalog.exists)
               for name, path in CORPORA.items()}
    if args.json:
        json.dump({name: report.as_dict() for name, report in reports.items()}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_side_by_side(reports))
        for name, report in reports.items():
            details = format_report(report).split("\n")[len(OPERATORS) + 1:]
            if details:
                print(f"\n{name}:\n" + "\n".join(details))
    met = reports["written"].targets_met and not reports["held-out"].refused
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
