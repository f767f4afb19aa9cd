"""Search on the judged queries (issue 16 item 4, issue 17 item 3), ours against a same-run baseline.

Data: the reference database with the full OPCS-4 and ICD-10 lists of ../shared/reference
imported (all data loaded), the shipped guidance, and then 1,000 and 10,000 generated guidance
documents whose code lists are drawn from the shipped ones (benchmarks/guidance_sets.py).

(a) Relevance: ../shared/search/judgements.jsonl through the core search() exactly as
    ``workbench search QUERY --json --limit 10`` runs it, the mixed search box (no --kind):
    success@1, success@5 and MRR@10 by category and overall (same rules as score_search.py).
(b) Latency: every prefix of every judged query, as typed, at 40 hits (the search screen's
    limit), p50 and p95 per keystroke, at each guidance size.
Baseline, in the same run, alternating query by query: the search code before issue 16,
loaded from git (commit BASELINE_COMMIT), or, where git history is missing, one plain FTS5
MATCH per table (bm25, last word a prefix).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import REPO_ROOT, Result, at_least, at_most, median, percentile, ratio

# ../shared beside the clone; WORKBENCH_SHARED_DIR points elsewhere (e.g. from a worktree).
SHARED_DIR = Path(os.environ.get("WORKBENCH_SHARED_DIR", REPO_ROOT.parent / "shared"))
REFERENCE_DIR = SHARED_DIR / "reference"
JUDGEMENTS = SHARED_DIR / "search" / "judgements.jsonl"
BASELINE_COMMIT = "69a5139"
FRAME_MS = 16.0
TYPED_LIMIT = 40
CUTOFF = 10
_CODE = re.compile(r"^[A-Z]\d\d(\.\d)?X?$")
_TOKEN = re.compile(r"[^\W_]+")

Searcher = Callable[[sqlite3.Connection, str, int], list[tuple[str, str]]]


def norm_code(code: str) -> str:
    c = re.sub(r"[\s.\-]", "", code.upper())
    m = re.fullmatch(r"IPG0*(\d+)", c)
    return f"IPG{m.group(1)}" if m else c


def load_judgements(path: Path = JUDGEMENTS) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            j = json.loads(line)
            kinds = j.get("relevant_kinds") or [j["kind"]] * len(j["relevant"])
            kinds = ["guidance" if norm_code(c).startswith("IPG") else k for c, k in zip(j["relevant"], kinds, strict=True)]
            targets = {(k, norm_code(c)) for c, k in zip(j["relevant"], kinds, strict=True)}
            cats = {(k, norm_code(cat)) for cat in j.get("relevant_categories", [])
                    for k, c in targets if c.startswith(norm_code(cat))}
            out.append({"query": j["query"], "category": j["category"], "kind": j["kind"], "targets": targets | cats})
    return out


def rank_of(judgement: dict, hits: list[tuple[str, str]]) -> int | None:
    for i, (kind, code) in enumerate(hits[:CUTOFF], start=1):
        if (kind, norm_code(code)) in judgement["targets"]:
            return i
    return None


# ---------------------------------------------------------------- the two searches

def ours() -> Searcher:
    from workbench.core.search import search

    return lambda conn, q, limit: [(h.kind, h.code) for h in search(conn, q, limit=limit)]


def baseline() -> tuple[str, Searcher]:
    """The search before issue 16 from git, else plain FTS5."""
    try:
        source = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:workbench/core/search.py"], cwd=REPO_ROOT,
                                capture_output=True, text=True, check=True, timeout=30).stdout
        spec = importlib.util.spec_from_loader("search_before_16", loader=None)
        module = importlib.util.module_from_spec(spec)
        sys.modules["search_before_16"] = module  # dataclasses look their module up while being made
        exec(compile(source, f"{BASELINE_COMMIT}:workbench/core/search.py", "exec"), module.__dict__)
        return (f"the search before issue 16 (git {BASELINE_COMMIT})",
                lambda conn, q, limit: [(h.kind, h.code) for h in module.search(conn, q, limit=limit)])
    except (OSError, subprocess.SubprocessError, SyntaxError, ImportError):
        return "plain FTS5 (bm25) on each table", plain_fts


def plain_fts(conn: sqlite3.Connection, text: str, limit: int) -> list[tuple[str, str]]:
    tokens = _TOKEN.findall(text)
    if not tokens:
        return []
    expression = " ".join('"' + t.replace('"', '""') + '"' for t in tokens) + "*"
    rows = []
    for kind, table in (("guidance", "search_guidance"), ("opcs4", "search_opcs4"), ("icd10", "search_icd10")):
        rows += [(rank, kind, ref) for ref, rank in conn.execute(
            f"SELECT ref, rank FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT ?", (expression, limit))]
    return [(kind, ref) for _, kind, ref in sorted(rows)[:limit]]


# ---------------------------------------------------------------- data

def build(home: Path) -> sqlite3.Connection:
    from workbench.core.classifications import import_icd10, import_opcs4
    from workbench.core.refdb import build_reference_db, open_reference_db

    home.mkdir(parents=True, exist_ok=True)
    path = home / "reference.db"
    build_reference_db(path)
    conn = open_reference_db(path)
    opcs, icd = REFERENCE_DIR / "opcs4-codes-hes.tsv", REFERENCE_DIR / "icd10-codes-hes.tsv"
    if opcs.exists():
        import_opcs4(conn, opcs)
    if icd.exists():  # the HES file holds one row that is not a code: leave it out
        rows = icd.read_text(encoding="utf-8").splitlines()
        clean = home / "icd10.tsv"
        clean.write_text("\n".join([rows[0], *(r for r in rows[1:] if _CODE.match(r.split("\t")[0]))]) + "\n",
                         encoding="utf-8")
        import_icd10(conn, clean)
    return conn


# ---------------------------------------------------------------- measuring

def relevance(conn: sqlite3.Connection, judged: list[dict], search: Searcher) -> dict[str, tuple]:
    by: dict[str, list[int | None]] = defaultdict(list)
    for j in judged:
        rank = rank_of(j, search(conn, j["query"], CUTOFF))
        by[j["category"]].append(rank)
        if "kind" in j:
            by[f"kind {j['kind']}"].append(rank)    # by classification (issue 22): OPCS-4 was the weak one
        by["all"].append(rank)
    return {cat: (len(r), sum(x == 1 for x in r) / len(r), sum(x is not None and x <= 5 for x in r) / len(r),
                  sum(1 / x for x in r if x) / len(r)) for cat, r in by.items()}


def latency(conn: sqlite3.Connection, prefixes: list[str], a: Searcher, b: Searcher,
            clock: Callable[[], float] = time.perf_counter) -> tuple[list, list]:
    """Milliseconds per prefix for a and b, alternating. ``time.thread_time`` gives the CPU the
    search itself used: on a shared, loaded machine the wall clock mostly measures the queue."""
    for p in prefixes[:50]:           # warm the page cache, statements and the lexicon
        a(conn, p, TYPED_LIMIT)
        b(conn, p, TYPED_LIMIT)
    ta, tb = [], []
    for p in prefixes:
        t0 = clock()
        a(conn, p, TYPED_LIMIT)
        t1 = clock()
        b(conn, p, TYPED_LIMIT)
        t2 = clock()
        ta.append((t1 - t0) * 1000)
        tb.append((t2 - t1) * 1000)
    return ta, tb


def run(work: Path, sizes: tuple[int, ...] = (1000, 10_000)) -> list[Result]:
    from benchmarks.guidance_sets import add_guidance

    judged = load_judgements()
    if not judged:
        return [Result("search judged queries (skipped)", float("nan"), "", note=f"{JUDGEMENTS} is not here")]
    conn = build(work / "judged-home")
    name, before = baseline()
    mine = ours()
    results: list[Result] = []
    try:
        data = (f"OPCS-4 {conn.execute('SELECT count(*) FROM codes WHERE classification = ? AND level = ?', ('opcs4', 'code')).fetchone()[0]}"
                f" and ICD-10 {conn.execute('SELECT count(*) FROM codes WHERE classification = ? AND level = ?', ('icd10', 'code')).fetchone()[0]} codes")
        new, old = relevance(conn, judged, mine), relevance(conn, judged, before)
        for cat in sorted(new, key=lambda c: (c == "all", c)):
            n, s1, s5, mrr = new[cat]
            _, b1, b5, bmrr = old[cat]
            goal = {"all": 0.95, "kind opcs4": 0.90}.get(cat, 0.80)
            results.append(Result(f"search judged {cat}: success@5", s5, "share", b5, ratio(s5, b5), f">= {goal:.2f}",
                                  at_least(s5, goal),
                                  f"n={n}; success@1 {s1:.2f} (baseline {b1:.2f}), MRR@10 {mrr:.2f} "
                                  f"(baseline {bmrr:.2f}); mixed search box, limit 10; {data}; baseline: {name}"))
        from benchmarks.search_everyday import results as everyday_results

        results += everyday_results(conn, data)
        prefixes = [q["query"][:i] for q in judged for i in range(1, len(q["query"]) + 1) if q["query"][:i].strip()]
        guidance = conn.execute("SELECT count(*) FROM guidance").fetchone()[0]
        for size in (0, *sizes):
            if size:
                guidance = add_guidance(conn, size - (guidance - _shipped(conn)))
            note = (f"{len(prefixes)} prefixes of the judged queries as typed, {TYPED_LIMIT} hits; {guidance} guidance; "
                    f"{data}; baseline: {name}, alternating")
            label = f"{guidance} guidance"
            for clock, what in ((time.perf_counter, "wall"), (time.thread_time, "CPU")):
                ta, tb = latency(conn, prefixes, mine, before, clock)
                p95, b95 = percentile(ta, 0.95), percentile(tb, 0.95)
                results.append(Result(f"search keystroke p50, {what} ({label})", median(ta), "ms", median(tb),
                                      ratio(median(ta), median(tb)), "", None, note))
                results.append(Result(f"search keystroke p95, {what} ({label})", p95, "ms", b95, ratio(p95, b95),
                                      f"p95 <= {FRAME_MS:g} ms", at_most(p95, FRAME_MS), note))
    finally:
        conn.close()
    return results


def _shipped(conn: sqlite3.Connection) -> int:
    from benchmarks.guidance_sets import FIRST_NUMBER

    return conn.execute("SELECT count(*) FROM guidance WHERE number < ?", (FIRST_NUMBER,)).fetchone()[0]


def main() -> int:
    import tempfile

    from benchmarks.common import table

    with tempfile.TemporaryDirectory(prefix="search-judged-") as work:
        os.environ["WORKBENCH_HOME"] = str(Path(work) / "home")
        results = run(Path(work))
    print(table(results))
    return 1 if any(r.passed is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
