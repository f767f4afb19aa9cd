"""Held-out search queries, written blind: the honest measure of search on what coders type.

``data/heldout-queries.jsonl`` (385 queries: 174 OPCS-4, 172 ICD-10, 39 guidance) was written by
a clinical coder who had not seen the search vocabulary, the judged sets or the search code, and
committed before any search was run on it. Its expected codes were checked against the embedded
classifications only. The tuned sets (everyday.jsonl, the shared judgements) measure what the
vocabulary was built for; this one measures how that generalises ("fresh queries scored 0.86
where the tuned file scored 0.94"). Its figures are informational on purpose: a goal here would
invite tuning to these lines, and then a new held-out set would be needed.

Scored as search_everyday scores everyday.jsonl: the mixed search box, limit 10, a hit counts
when its kind and code match. A three-character relevant code (``C71``) also accepts any of its
4th-character codes (``C71.2``): the file lists a category where any of its codes would do.

    python -m benchmarks.search_heldout            # table + every query not first, on the shipped data
    python -m benchmarks.search_heldout --full     # the same with ../shared/reference imported
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import Result

HELDOUT = Path(__file__).parent / "data" / "heldout-queries.jsonl"
CUTOFF = 10
_CATEGORY = re.compile(r"^[A-Z]\d\d$")


@dataclass(frozen=True)
class Judged:
    query: str
    kind: str
    relevant: tuple[str, ...]
    category: str
    why: str


@dataclass(frozen=True)
class Outcome:
    judged: Judged
    rank: int | None          # rank of the first hit that is any relevant code (None: not in the first 10)
    first_rank: int | None    # rank of the code listed first
    top: tuple[tuple[str, str, str], ...]   # the first five hits: (kind, code, title)


def load(path: Path = HELDOUT) -> list[Judged]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            j = json.loads(line)
            out.append(Judged(j["query"], j["kind"], tuple(j["relevant"]), j["category"], j.get("why", "")))
    return out


def accepts(code: str, relevant: tuple[str, ...]) -> bool:
    return any(code == r or (_CATEGORY.match(r) and code.startswith(r + ".")) for r in relevant)


def _rank(hits, kind: str, relevant: tuple[str, ...]) -> int | None:
    return next((i for i, h in enumerate(hits[:CUTOFF], start=1) if h.kind == kind and accepts(h.code, relevant)),
                None)


def score(conn: sqlite3.Connection, judged: list[Judged]) -> list[Outcome]:
    from workbench.core.search import search

    outcomes = []
    for j in judged:
        hits = search(conn, j.query, limit=CUTOFF)
        outcomes.append(Outcome(j, _rank(hits, j.kind, j.relevant), _rank(hits, j.kind, j.relevant[:1]),
                                tuple((h.kind, h.code, h.title) for h in hits[:5])))
    return outcomes


def summarise(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """success@1 (any listed code first), success@5, the first listed code first, MRR@10: overall,
    by kind and by category of query."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        for key in ("all", f"kind {o.judged.kind}", f"category {o.judged.category}"):
            groups[key].append(o)
    out = {}
    for key, items in groups.items():
        n = len(items)
        out[key] = {"n": n,
                    "s1": sum(o.rank == 1 for o in items) / n,
                    "s5": sum(o.rank is not None and o.rank <= 5 for o in items) / n,
                    "first": sum(o.first_rank == 1 for o in items) / n,
                    "mrr": sum(1 / o.rank for o in items if o.rank) / n}
    return out


def _order(key: str) -> tuple[int, str]:
    return ({"all": 0}.get(key, 1 if key.startswith("kind") else 2), key)


def results(conn: sqlite3.Connection, data: str = "") -> list[Result]:
    rows = []
    for key, s in sorted(summarise(score(conn, load())).items(), key=lambda kv: _order(kv[0])):
        note = (f"n={s['n']:.0f}; success@1 {s['s1']:.2f}, listed-first code first {s['first']:.2f}, "
                f"MRR@10 {s['mrr']:.2f}; benchmarks/data/heldout-queries.jsonl, written blind; mixed box, limit 10"
                + (f"; {data}" if data else ""))
        rows.append(Result(f"search held-out (written blind) {key}: success@5", s["s5"], "share", note=note))
    return rows


def report(outcomes: list[Outcome]) -> str:
    """Every query whose relevant code is not first, worst first, with what came first."""
    lines = []
    for o in sorted((o for o in outcomes if o.rank != 1), key=lambda o: (o.rank or 99, o.judged.kind, o.judged.query)):
        j = o.judged
        where = "miss" if o.rank is None or o.rank > 5 else f"rank {o.rank}"
        if o.rank and o.rank > 5:
            where = f"miss (rank {o.rank})"
        first = f"{o.top[0][1]} {o.top[0][2]} [{o.top[0][0]}]" if o.top else "(no hits)"
        lines.append(f"{where:15} {j.kind:8} {j.category:13} {j.query!r} wants {'/'.join(j.relevant)}; first: {first}")
    return "\n".join(lines)


def _connect(work: Path, full: bool) -> sqlite3.Connection:
    if full:
        from benchmarks.search_judged import build

        return build(work)
    from workbench.core.refdb import build_reference_db, open_reference_db

    path = work / "reference.db"
    build_reference_db(path)
    return open_reference_db(path)


def main(argv: list[str] | None = None) -> int:
    import os
    import tempfile

    from benchmarks.common import table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="import ../shared/reference as the judged section does")
    parser.add_argument("--json", action="store_true", help="print the per-query outcomes as JSON lines")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="search-heldout-") as work:
        os.environ["WORKBENCH_HOME"] = str(Path(work) / "home")
        conn = _connect(Path(work), args.full)
        try:
            outcomes = score(conn, load())
        finally:
            conn.close()
    if args.json:
        for o in outcomes:
            print(json.dumps({"query": o.judged.query, "kind": o.judged.kind, "category": o.judged.category,
                              "relevant": list(o.judged.relevant), "rank": o.rank, "first_rank": o.first_rank,
                              "top": [list(t) for t in o.top]}, ensure_ascii=False))
        return 0
    summary = summarise(outcomes)
    print(table([Result(f"held-out {k}: success@5", s["s5"], "share",
                        note=f"n={s['n']:.0f}") for k, s in sorted(summary.items(), key=lambda kv: _order(kv[0]))]))
    print()
    for key, s in sorted(summary.items(), key=lambda kv: _order(kv[0])):
        print(f"{key:26} n={s['n']:3.0f}  success@1 {s['s1']:.2f}  success@5 {s['s5']:.2f}  "
              f"listed-first first {s['first']:.2f}  MRR@10 {s['mrr']:.2f}")
    print("\nNot first (rank of the first relevant hit; 'miss' = not in the first 5):")
    print(report(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
