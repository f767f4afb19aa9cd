"""Drawing an audit sample: a reproducible random sample of saved episodes (FCEs).

The population is every episode whose latest version is not void, filtered by the
episode's start date, specialty, the coder of its latest version and its guidance. The
order in which episodes are considered is a permutation of the candidates (episode ids
in the date range) made by a sparse Fisher-Yates shuffle seeded with ``seed``: the same
seed on the same log always draws the same sample, and drawing 200 from a million
episodes looks at a few hundred of them, never all. With ``stratify`` the sample size is
shared between the strata (specialties or coders) in proportion to their size in the
population (largest remainders), then each stratum's share is drawn in permutation
order; counting the strata is the one full pass over the log.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

from workbench.core.audit.store import AuditError

STRATA = ("specialty", "coder")
MAX_SIZE = 10_000
_BATCH = 256
_LATEST = "(SELECT max(id) FROM version WHERE episode_id = e.id)"


@dataclass(frozen=True)
class SampleMethod:
    size: int
    seed: int
    since: str | None = None          # episode start date on or after (ISO)
    until: str | None = None          # episode start date on or before (ISO)
    coder: str | None = None          # OS login of the latest version
    specialty: str | None = None      # case-insensitive
    guidance: str | None = None       # e.g. IPG75
    stratify: str | None = None       # None | "specialty" | "coder"

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def describe(self) -> str:
        parts = [f"{self.size} episodes", f"seed {self.seed}"]
        if self.since or self.until:
            parts.append(f"dates {self.since or '…'} to {self.until or '…'}")
        parts += [f"{name} {value}" for name, value in (("coder", self.coder), ("specialty", self.specialty),
                                                        ("guidance", self.guidance)) if value]
        if self.stratify:
            parts.append(f"stratified by {self.stratify}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Drawn:
    episode_id: int
    version_id: int                   # the latest version when drawn: what is audited
    stratum: str | None


@dataclass(frozen=True)
class Draw:
    method: SampleMethod
    items: list[Drawn]                # by episode id
    candidates: int                   # episodes in the date range
    examined: int                     # candidates looked at before the sample was complete
    log_versions: int                 # version rows in the log when drawn
    strata: dict[str, int]            # population per stratum (stratified draws only)


def new_seed() -> int:
    return secrets.randbelow(10**9)


def checked_method(size: int, seed: int | None = None, *, since: dt.date | None = None,
                   until: dt.date | None = None, coder: str | None = None, specialty: str | None = None,
                   guidance: str | None = None, stratify: str | None = None) -> SampleMethod:
    if not 1 <= int(size) <= MAX_SIZE:
        raise AuditError(f"size: from 1 to {MAX_SIZE:,} episodes")
    if stratify is not None and stratify not in STRATA:
        raise AuditError(f"stratify: {' or '.join(STRATA)}")
    if since and until and since > until:
        raise AuditError("dates: --since is after --until")
    if guidance:
        from workbench.core.episodes.queries import normalise_guidance

        guidance = normalise_guidance(guidance)
    return SampleMethod(size=int(size), seed=new_seed() if seed is None else int(seed),
                        since=since.isoformat() if since else None, until=until.isoformat() if until else None,
                        coder=(coder or "").strip() or None, specialty=(specialty or "").strip() or None,
                        guidance=guidance or None, stratify=stratify)


def draw(conn: sqlite3.Connection, method: SampleMethod) -> Draw:
    """The sample ``method`` asks for, in one read snapshot of the log."""
    conn.execute("BEGIN")
    try:
        return draw_in(conn, method)
    finally:
        conn.execute("COMMIT")


def draw_in(conn: sqlite3.Connection, method: SampleMethod) -> Draw:
    """:func:`draw` inside a transaction the caller holds (a sample is drawn and stored in one)."""
    log_versions = int(conn.execute("SELECT coalesce(max(id), 0) FROM version").fetchone()[0])
    candidates = _candidates(conn, method)
    order = permutation(candidates, method.seed)
    strata: dict[str, int] = {}
    if method.stratify:
        strata = _strata(conn, method)
        quotas = allocate(method.size, strata)
    else:
        quotas = {None: method.size}
    items, examined = _walk(conn, method, order, quotas)
    items.sort(key=lambda d: d.episode_id)
    return Draw(method, items, len(candidates), examined, log_versions, strata)


def _candidates(conn: sqlite3.Connection, method: SampleMethod) -> Sequence[int]:
    """Episode ids in the date range, ascending (a range when there is no date filter:
    episode ids run 1..N without gaps, which verify checks)."""
    if not method.since and not method.until:
        top = int(conn.execute("SELECT coalesce(max(id), 0) FROM episode").fetchone()[0])
        return range(1, top + 1)
    where, params = _date_where(method)
    ids = [r[0] for r in conn.execute(f"SELECT e.id FROM episode e WHERE {where}", params)]
    ids.sort()
    return ids


def _date_where(method: SampleMethod) -> tuple[str, list[str]]:
    clauses, params = [], []
    if method.since:
        clauses.append("e.start_date >= ?")
        params.append(method.since)
    if method.until:
        clauses.append("e.start_date <= ?")
        params.append(method.until)
    return " AND ".join(clauses) or "1", params


def permutation(items: Sequence[int], seed: int) -> Iterator[int]:
    """A lazy, seeded permutation of ``items`` (sparse Fisher-Yates: each step O(1), and the
    first k of a longer walk are always the same k)."""
    rng = random.Random(seed)
    n = len(items)
    moved: dict[int, int] = {}
    for i in range(n):
        j = i + rng.randrange(n - i)
        at_j, at_i = moved.get(j, j), moved.get(i, i)
        moved[j] = at_i
        moved.pop(i, None)
        yield items[at_j]


def allocate(size: int, strata: dict[str, int]) -> dict[str | None, int]:
    """``size`` shared in proportion to each stratum's population, largest remainders first
    (ties by stratum name), never more than a stratum holds."""
    total = sum(strata.values())
    if total <= size:
        return dict(strata)
    shares = {name: size * count / total for name, count in strata.items()}
    quotas: dict[str | None, int] = {name: int(share) for name, share in shares.items()}
    left = size - sum(quotas.values())
    for name in sorted(shares, key=lambda n: (-(shares[n] - int(shares[n])), n))[:left]:
        quotas[name] += 1
    return quotas


def _filters(method: SampleMethod) -> tuple[str, list[object]]:
    clauses: list[str] = ["v.status != 'voided'"]
    params: list[object] = []
    if method.coder:
        clauses.append("v.coder = ?")
        params.append(method.coder)
    if method.specialty:
        clauses.append("lower(e.specialty) = lower(?)")
        params.append(method.specialty)
    if method.guidance:
        clauses.append("(v.guidance_id = ? OR instr(v.answers, ?) > 0)")
        params += [method.guidance, f'"@{method.guidance}"']
    return " AND ".join(clauses), params


def _stratum_column(method: SampleMethod) -> str:
    return "coalesce(e.specialty, '(none)')" if method.stratify == "specialty" else "v.coder"


def _strata(conn: sqlite3.Connection, method: SampleMethod) -> dict[str, int]:
    dates, date_params = _date_where(method)
    filters, params = _filters(method)
    column = _stratum_column(method)
    rows = conn.execute(f"SELECT {column}, count(*) FROM episode e JOIN version v ON v.id = {_LATEST} "
                        f"WHERE {dates} AND {filters} GROUP BY 1", [*date_params, *params])
    return {str(name): int(count) for name, count in rows}


def _walk(conn: sqlite3.Connection, method: SampleMethod, order: Iterator[int],
          quotas: dict[str | None, int]) -> tuple[list[Drawn], int]:
    """Take candidates in permutation order, a batch at a time, until every quota is met."""
    filters, params = _filters(method)
    column = _stratum_column(method) if method.stratify else "NULL"
    wanted = Counter({k: v for k, v in quotas.items() if v > 0})
    taken: list[Drawn] = []
    examined = 0
    while wanted:
        batch = [next(order, None) for _ in range(_BATCH)]
        batch = [b for b in batch if b is not None]
        if not batch:
            break
        examined += len(batch)
        marks = ",".join("?" * len(batch))
        found = {r[0]: r for r in conn.execute(
            f"SELECT e.id, v.id, {column} FROM episode e JOIN version v ON v.id = {_LATEST} "
            f"WHERE e.id IN ({marks}) AND {filters}", [*batch, *params])}
        for episode_id in batch:        # permutation order decides, not the query's
            row = found.get(episode_id)
            if row is None:
                continue
            stratum = str(row[2]) if method.stratify else None
            if wanted.get(stratum, 0) > 0:
                taken.append(Drawn(episode_id, int(row[1]), stratum))
                wanted[stratum] -= 1
                if wanted[stratum] == 0:
                    del wanted[stratum]
    return taken, examined
