"""Search for the everyday codes (issue 22): the project's own judged sets, scored on the data the
project ships.

- ``data/everyday.jsonl``: 260 everyday queries (the commonest diagnoses and operations as coders
  type them), each with its expected code first; written before the coders' index was filled.
  success@1 ("expected code first"), success@5, by classification; same rules as
  ../shared/search/score_search.py, mixed search box.
- ``data/common-codes.tsv``: the 500 OPCS-4 and 500 ICD-10 codes recorded most often in 2023/24,
  each with the phrase a coder types for it; the code must be in the first three hits, from the
  list of its classification (as the review's add-a-code dialog searches: that classification
  only) and in the mixed box.
- ``data/heldout-queries.jsonl``: 385 queries written blind by a coder (benchmarks/search_heldout.py),
  reported beside these as informational rows: the honest measure, never tuned to.

Used by benchmarks/search_judged.py (section ``judged``) and tests/test_search_everyday.py.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import Result, at_least

DATA = Path(__file__).parent / "data"
EVERYDAY = DATA / "everyday.jsonl"
COMMON = DATA / "common-codes.tsv"
CUTOFF = 10


@dataclass(frozen=True)
class CommonCode:
    classification: str
    code: str
    rank: int          # national rank in 2023/24
    phrase: str


def load_common(path: Path = COMMON) -> list[CommonCode]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(("#", "classification\t")):
            continue
        classification, code, rank, phrase = line.split("\t")
        out.append(CommonCode(classification, code, int(rank), phrase))
    return out


def _rank(hits, kind: str, codes: set[str]) -> int | None:
    return next((i for i, h in enumerate(hits[:CUTOFF], start=1) if h.kind == kind and h.code in codes), None)


def score_common(conn: sqlite3.Connection, common: list[CommonCode], *, field_aware: bool) -> dict[str, dict]:
    from workbench.core.search import search

    out: dict[str, dict] = {}
    for item in common:
        hits = search(conn, item.phrase, limit=CUTOFF, kind=item.classification if field_aware else None)
        rank = _rank(hits, item.classification, {item.code})
        figures = out.setdefault(item.classification, {"ranks": [], "misses": []})
        figures["ranks"].append(rank)
        if rank is None or rank > 3:
            figures["misses"].append((item.phrase, item.code, rank))
    for figures in out.values():
        ranks = figures["ranks"]
        figures["top1"] = sum(r == 1 for r in ranks) / len(ranks)
        figures["top3"] = sum(r is not None and r <= 3 for r in ranks) / len(ranks)
    return out


def score_everyday(conn: sqlite3.Connection, path: Path = EVERYDAY) -> dict[str, dict]:
    """success@1 of the first expected code ("first"), of any expected code ("s1"), success@5, by kind."""
    from workbench.core.search import search

    groups: dict[str, dict] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        judged = json.loads(line)
        hits = search(conn, judged["query"], limit=CUTOFF)
        rank = _rank(hits, judged["kind"], set(judged["relevant"]))
        first = _rank(hits, judged["kind"], {judged["relevant"][0]})
        for key in ("all", judged["kind"]):
            group = groups.setdefault(key, {"ranks": [], "first_ranks": [], "misses": []})
            group["ranks"].append(rank)
            group["first_ranks"].append(first)
            if key == "all" and (rank is None or rank > 1):
                group["misses"].append((judged["query"], judged["relevant"][0], rank))
    for group in groups.values():
        ranks, n = group["ranks"], len(group["ranks"])
        group["s1"] = sum(r == 1 for r in ranks) / n
        group["s5"] = sum(r is not None and r <= 5 for r in ranks) / n
        group["first"] = sum(r == 1 for r in group["first_ranks"]) / n
    return groups


def results(conn: sqlite3.Connection, data: str) -> list[Result]:
    rows: list[Result] = []
    everyday = score_everyday(conn)
    for key in ("opcs4", "icd10", "all"):
        group = everyday[key]
        n = len(group["ranks"])
        rows.append(Result(f"search everyday {key}: success@5", group["s5"], "share", None, None,
                           ">= 0.90" if key == "opcs4" else ">= 0.95",
                           at_least(group["s5"], 0.90 if key == "opcs4" else 0.95),
                           f"n={n}; benchmarks/data/everyday.jsonl, mixed box, limit 10"))
        rows.append(Result(f"search everyday {key}: expected code first", group["first"], "share", None, None,
                           ">= 0.80", at_least(group["first"], 0.80),
                           f"n={n}; the first listed code at rank 1 (any listed code: {group['s1']:.2f})"))
    common = load_common()
    for field_aware, how in ((True, "from its list"), (False, "mixed box")):
        for classification, figures in score_common(conn, common, field_aware=field_aware).items():
            rows.append(Result(f"search commonest 500 {classification}, {how}: in top 3", figures["top3"], "share",
                               None, None, "== 1.00" if field_aware else ">= 0.99",
                               at_least(figures["top3"], 1.0 if field_aware else 0.99),
                               f"benchmarks/data/common-codes.tsv, the phrase a coder types; first: {figures['top1']:.2f}"
                               + (f"; misses: {figures['misses'][:3]}" if figures["misses"] else "")))
    from benchmarks.search_heldout import results as heldout_results

    rows += heldout_results(conn, data)
    return rows
