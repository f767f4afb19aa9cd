"""The mutation test over every shipped pack meets issue 13's targets (benchmarks/mutation.py).

Every right sequence of every pack is checked (none may be refused); the mutants are sampled
evenly, up to 40 of each kind per pack, to keep the suite quick. The full run, with every
mutant, is ``python -m benchmarks.mutation`` (figures in the notes).
"""

from __future__ import annotations

from benchmarks import mutation
from workbench.core.rules import load_shipped


def test_mutants_are_caught_and_right_sequences_pass(catalog) -> None:
    packs, errors = load_shipped()
    assert not errors
    report = mutation.measure(packs, catalog, mutation.batch_checker(catalog), per_kind_cap=40)
    summary = mutation.format_report(report)
    assert report.packs == len(packs) >= 54
    assert report.right_refused == [], summary
    for kind, target in mutation.TARGETS.items():
        assert report.kinds[kind].total > 100, summary
        assert report.kinds[kind].share >= target, summary
    assert report.targets_met


def test_mutants_of_one_path() -> None:
    class Catalog:
        def children(self, classification, category):
            from types import SimpleNamespace

            return [SimpleNamespace(code=f"{category}.{n}", is_category=False) for n in (1, 2)]

    made = list(mutation.mutants(("L80.4", "Y53.4"), Catalog()))
    by_kind = {kind: [m for k, _, m, _ in made if k == kind] for kind in mutation.KINDS}
    assert by_kind["drop"] == [("Y53.4",), ("L80.4",)]
    assert by_kind["swap"] == [("Y53.4", "L80.4")]
    assert by_kind["duplicate"] == [("L80.4", "L80.4", "Y53.4"), ("L80.4", "Y53.4", "Y53.4")]
    assert ("L80.1", "Y53.4") in by_kind["sibling"] and ("L80.4", "Y53.2") in by_kind["sibling"]


def test_a_checker_that_flags_nothing_fails_the_targets(catalog) -> None:
    packs, _ = load_shipped()
    small = {k: packs[k] for k in ("IPG75", "IPG655")}

    def lenient(requests):
        return ({"errors": [], "warnings": []} for _ in requests)

    report = mutation.measure(small, catalog, lenient, per_kind_cap=10)
    assert not report.targets_met and report.kinds["drop"].flagged == 0
