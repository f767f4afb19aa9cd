"""The full embedded classifications against the subset they replaced, in the same run.

Until the UK lists were embedded the workbench shipped an OPCS-4 subset of 371 codes and
categories (``benchmarks/data/opcs4-subset-before.txt``, the code list of the old
``fixtures/classifications/opcs4-subset.tsv``; kept here only as this baseline). ICD-10 was
already complete then (WHO 2019, about 12,500 rows), so the baseline keeps today's ICD-10.

- reference build: ``build_reference_db`` over the shipped fixtures, against the same builder
  over a copy of the fixtures whose ``opcs4.tsv`` holds only the subset; alternated.
- start-up: launch to first screen (``WORKBENCH_EXIT_ON_READY``) with a prebuilt full
  reference database, against one prebuilt from the subset fixtures; alternated.
- search p95: ``search()`` on every prefix of the realistic queries over each database,
  alternated prefix by prefix.
Every figure is informational (the goal is "no worse than it was"), reported as a ratio.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from benchmarks import corpus
from benchmarks.common import BENCH_DIR, Result, child_env, median, percentile, ratio, run_child
from benchmarks.startup import _checked, workbench_argv

SUBSET = BENCH_DIR / "data" / "opcs4-subset-before.txt"


def subset_fixtures(root: Path) -> Path:
    """A copy of fixtures/ whose OPCS-4 list holds only the old subset's codes and categories."""
    from workbench.core import paths

    target = root / "fixtures-subset"
    (target / "classifications").mkdir(parents=True)
    for name in ("guidance", "rules"):
        shutil.copytree(paths.FIXTURES_DIR / name, target / name)
    keep = set(SUBSET.read_text(encoding="utf-8").split())
    shutil.copy(paths.FIXTURES_DIR / "classifications" / "icd10.tsv", target / "classifications" / "icd10.tsv")
    lines = (paths.FIXTURES_DIR / "classifications" / "opcs4.tsv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split("\t", 1)[0] in keep]
    (target / "classifications" / "opcs4.tsv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return target


def build_with(fixtures: Path, target: Path) -> float:
    """Seconds to build a reference database from ``fixtures`` into ``target``."""
    from workbench.core import paths
    from workbench.core.refdb import build_reference_db

    saved = paths.FIXTURES_DIR
    paths.FIXTURES_DIR = fixtures
    try:
        started = time.perf_counter()
        build_reference_db(target)
        return time.perf_counter() - started
    finally:
        paths.FIXTURES_DIR = saved


def run(work: Path | None = None, *, repeats: int = 7, queries: int = 200) -> list[Result]:
    from workbench.core import paths

    root = Path(tempfile.mkdtemp(prefix="classifications-", dir=work))
    try:
        subset = subset_fixtures(root)
        full_home, subset_home = root / "home-full", root / "home-subset"
        full_home.mkdir()
        subset_home.mkdir()
        full_build, subset_build = [], []
        for i in range(repeats):
            order = [(paths.FIXTURES_DIR, full_home, full_build), (subset, subset_home, subset_build)]
            for fixtures, home, times in (order if i % 2 == 0 else order[::-1]):
                times.append(build_with(fixtures, home / "reference.db") * 1000)
        results = [_result("reference build median", median(full_build), median(subset_build), "ms",
                           f"{repeats} builds each, alternated; baseline: the same builder over the old "
                           "OPCS-4 subset")]
        results += _startup(full_home, subset_home, subset, repeats)
        results += _search(full_home / "reference.db", subset_home / "reference.db", queries)
        return results
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _startup(full_home: Path, subset_home: Path, subset: Path, repeats: int) -> list[Result]:
    switches = {"WORKBENCH_EXIT_ON_READY": "1", "WORKBENCH_HEADLESS": "1"}
    # The subset database was built from other fixtures: tell the child they are current
    # by pointing it at a home whose database matches the shipped fixtures' fingerprint.
    _mark_current(subset_home / "reference.db", full_home / "reference.db")
    full, base = [], []
    for i in range(repeats * 2):
        order = [(full_home, full), (subset_home, base)]
        for home, times in (order if i % 2 == 0 else order[::-1]):
            times.append(_checked(run_child(workbench_argv(), env=child_env(home, **switches)),
                                  "workbench").wall * 1000)
    note = f"{repeats * 2} launches each, alternated; baseline: a reference database of the old subset"
    return [_result("start-up median, full vs subset", median(full), median(base), "ms", note),
            _result("start-up p95, full vs subset", percentile(full, 0.95), percentile(base, 0.95), "ms", note)]


def _mark_current(subset_db: Path, full_db: Path) -> None:
    """Copy the build facts of the full database so that opening the subset one does not rebuild it."""
    import sqlite3

    facts = sqlite3.connect(full_db).execute(
        "SELECT key, value FROM meta WHERE key IN ('fixtures_hash', 'stat_fingerprint')").fetchall()
    conn = sqlite3.connect(subset_db, isolation_level=None)
    conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", facts)
    conn.close()


def _search(full_db: Path, subset_db: Path, queries: int) -> list[Result]:
    import sqlite3

    from workbench.core.search import search

    conns = [sqlite3.connect(full_db, isolation_level=None), sqlite3.connect(subset_db, isolation_level=None)]
    try:
        prefixes = [p for q in corpus.queries(conns[0], queries) for p in corpus.as_typed(q)]
        for p in prefixes[:50]:
            for conn in conns:
                search(conn, p, limit=50)
        full, base = [], []
        clock = time.perf_counter
        for p in prefixes:
            t0 = clock()
            search(conns[0], p, limit=50)
            t1 = clock()
            search(conns[1], p, limit=50)
            t2 = clock()
            full.append((t1 - t0) * 1000)
            base.append((t2 - t1) * 1000)
    finally:
        for conn in conns:
            conn.close()
    note = f"{len(prefixes)} prefixes of {queries} queries, alternated; baseline: the old OPCS-4 subset"
    return [_result("search p95, full vs subset", percentile(full, 0.95), percentile(base, 0.95), "ms", note),
            _result("search p50, full vs subset", median(full), median(base), "ms", note)]


def _result(name: str, value: float, baseline: float, unit: str, note: str) -> Result:
    return Result(name, value, unit, baseline, ratio(value, baseline), "", None, note)
