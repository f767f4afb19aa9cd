"""Mutation test of the validation edits over every shipped rule pack.

``python -m benchmarks.mutation [--json] [--pack IPG75 ...]``

The right sequences of a pack are its answer paths (``enumerate_paths``). Each right
procedure sequence is mutated four ways: drop one code, swap two neighbours,
duplicate one code, replace one code with a sibling (another code of the same
category in the loaded classification). A mutant equal to any right sequence of the
same pack is discarded: it is not wrong. Every mutant and every right sequence is
then checked as ``workbench check --batch`` checks it (one JSON line each, with the
pack's guidance) and counted as flagged when the checker reports at least one error.

Each sequence is sent as a draft (``"draft": true``): a pack's path is the guidance's part of
an episode, and what only the coder can complete (the primary diagnosis where the guidance
names none, as in IPG75 and IPG421; the side of a paired organ; an injury's external cause) is
not asked of it. Every other edit, the episode conventions among them, applies; the rules of a
finished episode are measured on free-coded episodes by ``benchmarks.free_mutation``.

A sibling that falls inside a coder-typed slot (a ``code`` question's scope, e.g.
"any chapter K code") is legitimately right and reported separately, as is a sibling in a
later repeat-group instance that the same question offers when the pack has too many paths to
try every instance at every answer (IPG387: ``FULL_PATHS``).

Targets (issue 13): at least 95% of drop, swap and duplicate mutants and at least
80% of sibling mutants flagged; no right sequence refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

KINDS = ("drop", "swap", "duplicate", "sibling")
TARGETS = {"drop": 0.95, "swap": 0.95, "duplicate": 0.95, "sibling": 0.80}

Sequence = tuple[tuple[str, ...], tuple[str, ...]]          # (procedures, diagnoses)
Checker = Callable[[list[dict]], Iterable[dict]]             # JSON requests -> JSON results


@dataclass
class Tally:
    total: int = 0
    flagged: int = 0
    examples: list[str] = field(default_factory=list)       # missed mutants, for the report

    @property
    def share(self) -> float:
        return self.flagged / self.total if self.total else 1.0


@dataclass
class Report:
    kinds: dict[str, Tally]
    right_paths: int
    right_refused: list[str]
    legit_siblings: int
    packs: int

    def as_dict(self) -> dict:
        return {
            "packs": self.packs,
            "right_paths": self.right_paths,
            "right_refused": len(self.right_refused),
            "right_refused_examples": self.right_refused[:10],
            "legitimate_siblings": self.legit_siblings,
            "kinds": {k: {"total": t.total, "flagged": t.flagged, "share": round(t.share, 4),
                          "target": TARGETS[k], "missed_examples": t.examples[:10]}
                      for k, t in self.kinds.items()},
            "all": {"total": sum(t.total for t in self.kinds.values()),
                    "flagged": sum(t.flagged for t in self.kinds.values())},
            "targets_met": self.targets_met,
        }

    @property
    def targets_met(self) -> bool:
        return not self.right_refused and all(self.kinds[k].share >= TARGETS[k] for k in KINDS)


_SIBLINGS: dict[tuple[int, str], list[str]] = {}


def siblings(code: str, catalog) -> list[str]:
    """Other codes of the same category in the loaded OPCS-4."""
    key = (id(catalog), code[:3])
    if key not in _SIBLINGS:
        try:
            children = catalog.children("opcs4", code[:3])
        except Exception:
            children = []
        _SIBLINGS[key] = [c.code for c in children if not c.is_category]
    return [c for c in _SIBLINGS[key] if c != code]


def mutants(procedures: tuple[str, ...], catalog) -> Iterator[tuple[str, int, tuple[str, ...], str]]:
    """(kind, position, mutant, replaced sibling or '') for one right procedure sequence."""
    codes = list(procedures)
    for i in range(len(codes)):
        yield "drop", i, tuple(codes[:i] + codes[i + 1:]), ""
        yield "duplicate", i, tuple(codes[:i + 1] + [codes[i]] + codes[i + 1:]), ""
        for other in siblings(codes[i], catalog):
            yield "sibling", i, tuple(codes[:i] + [other] + codes[i + 1:]), other
    for i in range(len(codes) - 1):
        if codes[i] != codes[i + 1]:
            yield "swap", i, tuple(codes[:i] + [codes[i + 1], codes[i]] + codes[i + 2:]), ""


def _slot_scopes(pack, path) -> list[tuple[str, list[str]]]:
    """(code the coder typed, the scope of the question it answered) on one path."""
    out = []
    for qid, value in path.answers.items():
        question = pack.find_question(qid)
        if question is None or question.kind != "code" or question.classification != "opcs4":
            continue
        for code in value if isinstance(value, list) else [value]:
            out.append((str(code), list(question.code_scope)))
    return out


#: Right sequences are every path with every answer in every repeat-group instance, up to this
#: many; a pack with more is enumerated as the linter does (later instances at their first answers)
#: and a sibling in a later instance that the same question offers is marked legitimately right.
FULL_PATHS = 5000


def _later_instance_alternatives(pack, path) -> dict[int, set[str]]:
    """Position in the procedures -> the codes the question that gave it offers, for codes given by a
    second or later instance of a group without `distinct` (whose answers were tried at the first only)."""
    from workbench.core.rules.model import Group

    groups = {g.id: g for g in pack.questions if isinstance(g, Group) and not g.distinct}
    out: dict[int, set[str]] = {}
    for index, entry in enumerate(path.evaluation.procedures):
        group_id, _, number = entry.instance.rpartition(".")
        if group_id not in groups or not number.isdigit() or int(number) < 2:
            continue
        for question in groups[group_id].questions:
            offered = {c for o in question.options for c in o.codes}
            if entry.code in offered:
                out[index] = offered
    return out


def _pack_cases(pack, catalog):
    """Right sequences and mutants of one pack, with the legitimately-right siblings marked."""
    from workbench.core.rules import enumerate_paths
    from workbench.core.rules.codes import in_scope
    from workbench.core.rules.paths import TooManyPaths

    try:
        paths = enumerate_paths(pack, catalog, limit=FULL_PATHS, every_instance=True)
    except TooManyPaths:
        paths = enumerate_paths(pack, catalog)
    right: dict[Sequence, object] = {}
    for path in paths:
        # A path with no procedure (IPG444's "other approach") leaves the coder to add one: the
        # edits rightly refuse it as it stands, so it is not a right sequence to keep.
        if path.procedures:
            right.setdefault((tuple(path.procedures), tuple(path.diagnoses)), path)
    cases: list[tuple[str, Sequence, bool]] = []   # kind, sequence, legitimately right
    seen: set[tuple[str, Sequence]] = set()
    for (procs, diags), path in right.items():
        slots = _slot_scopes(pack, path)
        later = _later_instance_alternatives(pack, path)
        for kind, index, mutant, other in mutants(procs, catalog):
            key = (kind, (mutant, diags))
            if (mutant, diags) in right or key in seen:
                continue
            seen.add(key)
            legit = kind == "sibling" and (any(code == procs[index] and in_scope(other, scope)
                                               for code, scope in slots) or other in later.get(index, ()))
            cases.append((kind, (mutant, diags), legit))
    return list(right), cases


def _sampled(cases: list, cap: int | None) -> list:
    """At most ``cap`` mutants of each kind, spread evenly over the pack's list (None: all)."""
    if cap is None:
        return cases
    out = []
    for kind in KINDS:
        of_kind = [c for c in cases if c[0] == kind]
        step = max(1, len(of_kind) // cap)
        out.extend(of_kind[::step][:cap])
    return out


def measure(packs: dict, catalog, checker: Checker, per_kind_cap: int | None = None) -> Report:
    """Every right sequence; every mutant, or ``per_kind_cap`` of each kind per pack (for the tests)."""
    kinds = {k: Tally() for k in KINDS}
    refused: list[str] = []
    legit = 0
    right_count = 0
    for pack_id in sorted(packs):
        pack = packs[pack_id]
        right, cases = _pack_cases(pack, catalog)
        cases = _sampled(cases, per_kind_cap)
        right_count += len(right)
        requests = [_request(pack.guidance_id, seq) for seq in right]
        requests += [_request(pack.guidance_id, seq) for _, seq, _ in cases]
        results = list(checker(requests))
        for seq, result in zip(right, results[:len(right)], strict=True):
            if result["errors"]:
                refused.append(f"{pack_id} {' '.join(seq[0])} | {' '.join(seq[1])}: "
                               f"{result['errors'][0]['id']}")
        for (kind, seq, is_legit), result in zip(cases, results[len(right):], strict=True):
            flagged = bool(result["errors"])
            if is_legit:
                legit += 1
                continue
            tally = kinds[kind]
            tally.total += 1
            tally.flagged += flagged
            if not flagged:
                tally.examples.append(f"{pack_id} {' '.join(seq[0])} | {' '.join(seq[1])}")
    return Report(kinds, right_count, refused, legit, len(packs))


def _request(guidance: str, seq: Sequence) -> dict:
    return {"guidance": guidance, "procedures": list(seq[0]), "diagnoses": list(seq[1]), "draft": True}


def batch_checker(catalog) -> Checker:
    """The checker ``workbench check --batch`` runs, called in this process."""
    from workbench.commands.check import check_requests

    return lambda requests: check_requests(requests, catalog)


def load(only: list[str] | None = None):
    from workbench.core.classifications import Classifications
    from workbench.core.refdb import open_reference_db
    from workbench.core.rules import load_shipped

    packs, errors = load_shipped()
    if errors:
        raise SystemExit(f"broken packs: {errors}")
    if only:
        packs = {k: v for k, v in packs.items() if k in only}
    return packs, Classifications(open_reference_db())


def format_report(report: Report) -> str:
    lines = [f"{report.packs} packs, {report.right_paths} right sequences, "
             f"{len(report.right_refused)} refused; {report.legit_siblings} legitimately-right siblings"]
    for kind, tally in report.kinds.items():
        lines.append(f"  {kind:<10} {tally.flagged:>6} of {tally.total:>6} flagged "
                     f"({tally.share:6.1%}; target {TARGETS[kind]:.0%})")
    total = sum(t.total for t in report.kinds.values())
    flagged = sum(t.flagged for t in report.kinds.values())
    lines.append(f"  {'all':<10} {flagged:>6} of {total:>6} flagged ({flagged / max(total, 1):6.1%})")
    for example in report.right_refused[:5]:
        lines.append(f"  refused: {example}")
    for kind, tally in report.kinds.items():
        for example in tally.examples[:3]:
            lines.append(f"  missed {kind}: {example}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--pack", nargs="+", help="only these packs")
    parser.add_argument("--sample", type=int, metavar="N", help="at most N mutants of each kind per pack")
    args = parser.parse_args(argv)
    packs, catalog = load(args.pack)
    report = measure(packs, catalog, batch_checker(catalog), args.sample)
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_report(report))
    return 0 if report.targets_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
