"""Audit and productivity on a big department log (section ``audit``).

The log is built by :func:`benchmarks.logdata.build_department_log` (23 coders, 12 specialties,
ten years of saves with draft start times), or copied from ``$WORKBENCH_BENCH_DEPARTMENT_LOG``
when that names a log built earlier (building 1,000,000 episodes takes ~3-5 minutes here).

- drawing and storing a sample of 200 (``Audits.new_sample``: the draw, then one durable write of
  the sample record), with a new seed each time and the filters a manager uses (none, a year, a
  coder, a specialty in a year); baseline: one plain indexed SELECT of 200 random episodes and
  their versions, alternated with it. Goal: p95 under 1 s.
- a stratified sample of 200 by specialty over the whole log (counting the strata is one pass
  over every episode): informational.
- ``stats`` for a year, by nothing, coder and day (``productivity``); baseline: counting the
  year's versions with the same index. Goal: p95 under 2 s.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import time
from pathlib import Path

from benchmarks.common import Result, median, percentile, ratio


def _log(work: Path, episodes: int) -> tuple[Path, str]:
    target = work / f"department-{episodes}.db"
    given = os.environ.get("WORKBENCH_BENCH_DEPARTMENT_LOG")
    if given and Path(given).exists():
        shutil.copyfile(given, target)
        return target, f"copied from {given}"
    from benchmarks.logdata import build_department_log

    seconds = build_department_log(target, episodes)
    return target, f"built in {seconds:.0f} s"


def run(work: Path, *, episodes: int, repeats: int) -> list[Result]:
    from workbench.core.audit import Audits, checked_method
    from workbench.core.episodes import EpisodeLog
    from workbench.core.episodes.stats import productivity

    path, how = _log(work, episodes)
    results: list[Result] = []
    with EpisodeLog(path) as log:
        count = log.count()
        audits = Audits(log)
        conn = log.connection
        rng = random.Random(26)
        filters = [{}, {"since": dt.date(2020, 1, 1), "until": dt.date(2020, 12, 31)}, {"coder": "coder05"},
                   {"specialty": "urology", "since": dt.date(2019, 1, 1), "until": dt.date(2019, 12, 31)}]
        drawn, plain, sizes = [], [], []
        for n in range(repeats):
            method = checked_method(200, rng.randrange(10**9), **filters[n % len(filters)])
            started = time.perf_counter()
            sample = audits.new_sample(method, drawn_by="bench.manager")
            drawn.append(time.perf_counter() - started)
            sizes.append(sample.size)
            ids = rng.sample(range(1, count + 1), 200)
            started = time.perf_counter()
            marks = ",".join("?" * len(ids))
            conn.execute(f"SELECT e.id, e.specialty, v.id, v.coder FROM episode e JOIN version v "
                         f"ON v.episode_id = e.id WHERE e.id IN ({marks})", ids).fetchall()
            plain.append(time.perf_counter() - started)
        p95, base = percentile(drawn, 0.95) * 1000, percentile(plain, 0.95) * 1000
        results.append(Result(f"audit: draw and store a sample of 200 of {count:,} p95", p95, "ms", base,
                              ratio(p95, base), "p95 < 1000 ms", p95 < 1000,
                              f"median {median(drawn) * 1000:.1f} ms; {repeats} draws ({min(sizes)}-{max(sizes)} "
                              "episodes each), new seed each, filters "
                              "none / a year / a coder / a specialty in a year; baseline a plain SELECT of 200 "
                              f"random episodes with their versions; log {how}"))
        started = time.perf_counter()
        stratified = audits.new_sample(checked_method(200, 7, stratify="specialty"), drawn_by="bench.manager")
        seconds = time.perf_counter() - started
        results.append(Result(f"audit: stratified sample of 200 by specialty of {count:,}", seconds * 1000, "ms",
                              note=f"{stratified.size} drawn; the strata "
                                   "are counted over every episode (one pass)"))
        year = (dt.date(2020, 1, 1), dt.date(2020, 12, 31))
        for by in (None, "coder", "day"):
            timings, counts = [], []
            for _ in range(max(3, repeats // 3)):
                started = time.perf_counter()
                figures = productivity(conn, *year, by)
                timings.append(time.perf_counter() - started)
                started = time.perf_counter()
                conn.execute("SELECT count(*) FROM version WHERE saved_at >= ? AND saved_at < ?",
                             ("2020-01-01", "2021-01-01")).fetchone()
                counts.append(time.perf_counter() - started)
            p95, base = percentile(timings, 0.95) * 1000, percentile(counts, 0.95) * 1000
            results.append(Result(f"stats for a year{f' by {by}' if by else ''} p95", p95, "ms", base,
                                  ratio(p95, base), "p95 < 2000 ms", p95 < 2000,
                                  f"{figures.total.episodes:,} episodes saved in 2020 of {count:,}; median "
                                  f"{median(timings) * 1000:.0f} ms; baseline an indexed count of the year's "
                                  "versions"))
    return results
