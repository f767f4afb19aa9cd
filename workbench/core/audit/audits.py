"""The coding audit: samples, blind re-coding, comparison, reviews and the report.

An auditor re-codes each sampled episode from the case notes without seeing how it was
coded: until the auditor's coding of an episode is saved, nothing here returns the
episode's codes, its coder or its checks (:meth:`Audits.items` gives only what the case
notes would: patient, episode, dates, specialty, sex and age), and :meth:`comparison`
refuses. Audit codings are stored in the audit store, never in the log's episodes.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from workbench.core.audit import sampling
from workbench.core.audit.compare import CODE_TYPES, Comparison, Difference, Tally, compare
from workbench.core.audit.report import ERROR_TYPES, Accuracy, AuditReport, ReportedDifference
from workbench.core.audit.store import (
    CODING,
    REVIEW,
    SAMPLE,
    AuditError,
    AuditRecord,
    AuditStore,
    next_sample_id,
)
from workbench.core.episodes.identity import Coder, coder_fields, describe
from workbench.core.episodes.model import EpisodeDetails
from workbench.core.episodes.rows import EPISODE_COLS, details_from

MAX_NOTE = 2000


@dataclass(frozen=True)
class SampleInfo:
    id: int
    name: str
    method: sampling.SampleMethod
    drawn_by: str                     # label of who drew it
    auditor: str                      # OS login of the auditor (blind to the originals)
    drawn_at: str
    size: int                         # episodes drawn
    audited: int
    candidates: int
    log_versions: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "method": self.method.as_dict(),
                "described": self.method.describe(), "drawn_by": self.drawn_by, "auditor": self.auditor,
                "drawn_at": self.drawn_at, "size": self.size, "audited": self.audited,
                "candidates": self.candidates, "log_versions": self.log_versions}


@dataclass(frozen=True)
class AuditItem:
    """What the auditor may see of a sampled episode before coding it: no codes, no coder."""

    position: int
    episode_id: int
    details: EpisodeDetails | None    # None when the episode's stored details are damaged
    audited: bool
    stratum: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "episode_id": self.episode_id, "audited": self.audited,
                "stratum": self.stratum, **(self.details.as_dict() if self.details else {})}

    def session_details(self) -> dict[str, str]:
        """The episode form's fields, as a coding session holds them."""
        d = self.details
        if d is None:
            return {}
        values = {"patient": d.patient, "episode": d.episode, "date": d.date.isoformat(),
                  "nhs": d.nhs_number or "", "specialty": d.specialty or "",
                  "sex": {"male": "m", "female": "f"}.get(d.sex or "", ""),
                  "age": "" if d.age is None else str(d.age)}
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class AuditCoding:
    procedures: list[str]
    diagnoses: list[str]
    marks: list[str | None]           # per diagnosis: dagger | asterisk | None
    guidance: list[str]
    answers: dict[str, Any]
    checks: list[dict[str, str]]      # the review's checks when saved: [{"id", "severity", "message"}]
    started_at: str | None = None

    def body(self) -> dict[str, Any]:
        return {"procedures": list(self.procedures), "diagnoses": list(self.diagnoses),
                "marks": list(self.marks), "guidance": list(self.guidance), "answers": dict(self.answers),
                "checks": list(self.checks), "started_at": self.started_at}


@dataclass(frozen=True)
class ReviewedDifference:
    difference: Difference
    error_type: str | None
    note: str | None
    agreed: bool | None


@dataclass(frozen=True)
class EpisodeComparison:
    """Shown only once the auditor's coding is saved."""

    sample_id: int
    position: int
    episode_id: int
    coder: str                        # label of who saved the audited version
    coder_login: str
    specialty: str | None
    original_procedures: list[str]
    original_diagnoses: list[str]
    audit: AuditCoding
    auditor: str
    comparison: Comparison
    reviews: list[ReviewedDifference]

    def as_dict(self) -> dict[str, Any]:
        return {"sample": self.sample_id, "position": self.position, "episode_id": self.episode_id,
                "coder": self.coder_login, "coder_label": self.coder, "specialty": self.specialty,
                "original": {"procedures": self.original_procedures, "diagnoses": self.original_diagnoses},
                "audit": {"procedures": self.audit.procedures, "diagnoses": self.audit.diagnoses,
                          "auditor": self.auditor, "checks": self.audit.checks},
                "tally": {"right": self.comparison.tally.right, "counted": self.comparison.tally.counted},
                "differences": [{**_difference_dict(r.difference), "error_type": r.error_type,
                                 "note": r.note, "agreed": r.agreed} for r in self.reviews]}


def _difference_dict(d: Difference) -> dict[str, Any]:
    return {"key": d.key, "code_type": d.code_type, "kind": d.kind, "original": d.original,
            "audit": d.audit, "described": d.describe()}


class Audits:
    """The audit of one :class:`EpisodeLog` (same connection, same thread)."""

    def __init__(self, log: Any):
        self.log = log
        self.store = AuditStore(log)

    # ------------------------------------------------------------ samples

    def new_sample(self, method: sampling.SampleMethod, *, drawn_by: Coder | str,
                   auditor: str | None = None, name: str | None = None) -> SampleInfo:
        """Draw the sample and store it, with who drew it and how, in one write transaction."""
        login, label_name, label_id = coder_fields(drawn_by)
        auditor = (auditor or "").strip() or login

        def work(conn: sqlite3.Connection, append: Any) -> int:
            drawn = sampling.draw_in(conn, method)   # the same snapshot the sample is stored in
            if not drawn.items:
                raise AuditError("no saved episodes match: nothing to sample (check the dates and filters)")
            sample_id = next_sample_id(conn)
            append(sample_id, SAMPLE, None, {
                "name": (name or "").strip() or f"Audit sample {sample_id}",
                "method": method.as_dict(), "auditor": auditor,
                "drawn_by": {"login": login, "name": label_name, "coder_id": label_id},
                "episodes": [[d.episode_id, d.version_id, d.stratum] for d in drawn.items],
                "candidates": drawn.candidates, "examined": drawn.examined,
                "log_versions": drawn.log_versions, "strata": drawn.strata}, login)
            return sample_id

        return self.sample(self.store.write(work))

    def samples(self) -> list[SampleInfo]:
        return [self._info(r) for r in self.store.samples()]

    def sample(self, sample_id: int) -> SampleInfo:
        return self._info(self._sample_record(sample_id))

    def _sample_record(self, sample_id: int) -> AuditRecord:
        found = self.store.records(sample_id, SAMPLE)
        if not found:
            raise AuditError(f"audit sample {sample_id}: there is no such sample")
        return found[0]

    def _info(self, record: AuditRecord) -> SampleInfo:
        body = record.body
        by = body.get("drawn_by") or {}
        coded = {r.episode_id for r in self.store.records(record.sample_id, CODING)}
        method = sampling.SampleMethod(**{k: v for k, v in (body.get("method") or {}).items()
                                          if k in sampling.SampleMethod.__dataclass_fields__})
        return SampleInfo(record.sample_id, str(body.get("name") or ""), method,
                          describe(str(by.get("login") or record.actor), by.get("name"), by.get("coder_id")),
                          str(body.get("auditor") or record.actor), record.at, len(body.get("episodes") or []),
                          len(coded), int(body.get("candidates") or 0), int(body.get("log_versions") or 0))

    def _sampled(self, sample_id: int) -> list[tuple[int, int, int, str | None]]:
        """(position, episode id, version id, stratum) of each sampled episode."""
        body = self._sample_record(sample_id).body
        return [(i, int(e[0]), int(e[1]), e[2] if len(e) > 2 else None)
                for i, e in enumerate(body.get("episodes") or [], start=1)]

    # ------------------------------------------------------------ blind view

    def items(self, sample_id: int) -> list[AuditItem]:
        """The sampled episodes as the case notes describe them: never their codes or coder."""
        sampled = self._sampled(sample_id)
        coded = {r.episode_id for r in self.store.records(sample_id, CODING)}
        details = self._details([e for _p, e, _v, _s in sampled])
        return [AuditItem(p, e, details.get(e), e in coded, s) for p, e, _v, s in sampled]

    def item(self, sample_id: int, episode_id: int) -> AuditItem:
        for item in self.items(sample_id):
            if item.episode_id == int(episode_id):
                return item
        raise AuditError(f"episode {episode_id} is not in audit sample {sample_id}")

    def _details(self, episode_ids: list[int]) -> dict[int, EpisodeDetails]:
        found: dict[int, EpisodeDetails] = {}
        conn = self.log.connection
        for start in range(0, len(episode_ids), 500):
            chunk = episode_ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(f"SELECT {EPISODE_COLS} FROM episode e WHERE e.id IN ({marks})", chunk):
                try:
                    found[row[0]] = details_from(row)
                except (TypeError, ValueError):
                    continue
        return found

    def blind_episodes(self, login: str) -> set[int]:
        """Episodes ``login`` audits and has not yet coded: every screen and command keeps their
        codes, coder and checks from this login until the audit coding is saved."""
        hidden: set[int] = set()
        for record in self.store.samples():
            if str(record.body.get("auditor") or record.actor) != login:
                continue
            coded = {r.episode_id for r in self.store.records(record.sample_id, CODING)}
            hidden |= {int(e[0]) for e in record.body.get("episodes") or []} - coded
        return hidden

    # ------------------------------------------------------------ coding

    def save_coding(self, sample_id: int, episode_id: int, coding: AuditCoding, *,
                    auditor: Coder | str) -> EpisodeComparison:
        """Store the auditor's coding of a sampled episode (a later one supersedes it); the log's
        episodes are not touched. Returns the comparison, now that it may be shown."""
        if not coding.procedures and not coding.diagnoses:
            raise AuditError("codes: an audit coding needs at least one procedure or diagnosis code")
        self.item(sample_id, episode_id)
        login, label_name, label_id = coder_fields(auditor)
        body = {**coding.body(), "auditor": {"login": login, "name": label_name, "coder_id": label_id}}
        self.store.write(lambda conn, append: append(int(sample_id), CODING, int(episode_id), body, login))
        return self.comparison(sample_id, episode_id)

    def audit_coding(self, sample_id: int, episode_id: int) -> tuple[AuditCoding, str] | None:
        found = self.store.records(sample_id, CODING)
        mine = [r for r in found if r.episode_id == int(episode_id)]
        if not mine:
            return None
        body = mine[-1].body
        who = body.get("auditor") or {}
        coding = AuditCoding(list(body.get("procedures") or []), list(body.get("diagnoses") or []),
                             list(body.get("marks") or []), list(body.get("guidance") or []),
                             dict(body.get("answers") or {}), list(body.get("checks") or []),
                             body.get("started_at"))
        return coding, describe(str(who.get("login") or mine[-1].actor), who.get("name"), who.get("coder_id"))

    # ------------------------------------------------------------ after coding

    def comparison(self, sample_id: int, episode_id: int) -> EpisodeComparison:
        """The original coding beside the auditor's, and their differences: refused until the
        auditor's coding of the episode is saved (the audit is blind)."""
        sampled = [(p, v) for p, e, v, _s in self._sampled(sample_id) if e == int(episode_id)]
        if not sampled:
            raise AuditError(f"episode {episode_id} is not in audit sample {sample_id}")
        saved = self.audit_coding(sample_id, episode_id)
        if saved is None:
            raise AuditError(f"episode {episode_id} of audit sample {sample_id} is not audited yet: "
                             "its coding is shown once the audit coding is saved")
        audit, auditor = saved
        position, version_id = sampled[0]
        original = self._original(version_id)
        result = compare(original["procedures"], original["diagnoses"], audit.procedures, audit.diagnoses)
        reviews = self._reviews(sample_id, episode_id)
        reviewed = [ReviewedDifference(d, *reviews.get(d.key, (None, None, None))) for d in result.differences]
        return EpisodeComparison(int(sample_id), position, int(episode_id), original["coder_label"],
                                 original["coder"], original["specialty"], original["procedures"],
                                 original["diagnoses"], audit, auditor, result, reviewed)

    def _original(self, version_id: int) -> dict[str, Any]:
        conn = self.log.connection
        row = conn.execute("SELECT v.coder, v.coder_name, v.coder_id, e.specialty FROM version v "
                           "JOIN episode e ON e.id = v.episode_id WHERE v.id = ?", (version_id,)).fetchone()
        if row is None:
            raise AuditError(f"version row {version_id} is missing from the log: run 'workbench log verify'")
        codes = conn.execute("SELECT kind, code FROM version_code WHERE version_id = ? ORDER BY kind, position",
                             (version_id,)).fetchall()
        return {"coder": row[0], "coder_label": describe(row[0], row[1], row[2]), "specialty": row[3],
                "procedures": [c for k, c in codes if k == "procedure"],
                "diagnoses": [c for k, c in codes if k == "diagnosis"]}

    def _reviews(self, sample_id: int, episode_id: int) -> dict[str, tuple[str | None, str | None, bool | None]]:
        latest: dict[str, tuple[str | None, str | None, bool | None]] = {}
        for r in self.store.records(sample_id, REVIEW):
            if r.episode_id == int(episode_id):
                b = r.body
                latest[str(b.get("difference"))] = (b.get("error_type"), b.get("note"), b.get("agreed"))
        return latest

    def review(self, sample_id: int, episode_id: int, difference_key: str, *, reviewer: Coder | str,
               error_type: str | None = None, note: str | None = None,
               agreed: bool | None = None) -> ReviewedDifference:
        """Record the auditor's error type, note and agreement for one difference (the latest
        review of a difference is the one reported; earlier ones stay in the store)."""
        if error_type is not None and error_type not in ERROR_TYPES:
            raise AuditError(f"error type: one of {', '.join(ERROR_TYPES)}")
        note = (note or "").strip() or None
        if note and len(note) > MAX_NOTE:
            raise AuditError(f"note: at most {MAX_NOTE} characters")
        current = self.comparison(sample_id, episode_id)
        found = next((r for r in current.reviews if r.difference.key == difference_key), None)
        if found is None:
            raise AuditError(f"episode {episode_id} of audit sample {sample_id} has no such difference")
        merged = (error_type if error_type is not None else found.error_type,
                  note if note is not None else found.note,
                  agreed if agreed is not None else found.agreed)
        login = coder_fields(reviewer)[0]
        body = {"difference": difference_key, "error_type": merged[0], "note": merged[1], "agreed": merged[2]}
        self.store.write(lambda conn, append: append(int(sample_id), REVIEW, int(episode_id), body, login))
        return ReviewedDifference(found.difference, *merged)

    # ------------------------------------------------------------ report

    def report(self, sample_id: int) -> AuditReport:
        info = self.sample(sample_id)
        overall, by_coder, by_specialty = Tally(), defaultdict(Tally), defaultdict(Tally)
        counts: dict[tuple[str, str], int] = defaultdict(int)
        differences: list[ReportedDifference] = []
        auditors: set[str] = set()
        for _position, episode_id, _version, _stratum in self._sampled(sample_id):
            try:
                c = self.comparison(sample_id, episode_id)
            except AuditError:
                continue                 # not audited yet: not in the figures
            auditors.add(c.auditor)
            specialty = c.specialty or "(none)"
            for tally, key in ((overall, None), (by_coder[c.coder_login], ("coder", c.coder_login)),
                               (by_specialty[specialty], ("specialty", specialty))):
                tally.add(c.comparison.tally)
                if key:
                    counts[key] += 1
            differences += [ReportedDifference(c.position, c.episode_id, c.coder_login, c.specialty,
                                               r.difference.code_type, r.difference.kind, r.difference.original,
                                               r.difference.audit, r.difference.key, r.error_type, r.note, r.agreed)
                            for r in c.reviews]
        audited = sum(v for (k, _), v in counts.items() if k == "coder")
        differences.sort(key=lambda d: (d.position, CODE_TYPES.index(d.code_type)))
        return AuditReport(
            sample_id=info.id, name=info.name, method=info.method.describe(), drawn_by=info.drawn_by,
            drawn_at=info.drawn_at, sampled=info.size, audited=audited,
            overall=Accuracy.of("all audited episodes", audited, overall),
            by_coder=[Accuracy.of(name, counts[("coder", name)], t) for name, t in sorted(by_coder.items())],
            by_specialty=[Accuracy.of(name, counts[("specialty", name)], t)
                          for name, t in sorted(by_specialty.items())],
            differences=differences, auditors=sorted(auditors))


__all__ = ["AuditCoding", "AuditItem", "Audits", "EpisodeComparison", "SampleInfo"]


def blind_set(log: Any, login: str) -> set[int]:
    """:meth:`Audits.blind_episodes` for ``login``; empty for a log without audit samples (cheap)."""
    conn = log.connection
    if conn.execute("SELECT 1 FROM audit_record WHERE kind = 'sample' LIMIT 1").fetchone() is None:
        return set()
    return Audits(log).blind_episodes(login)


BLIND_MESSAGE = ("episode {episode} is in an audit sample you are re-coding blind: its coding, coder and "
                 "checks are shown once you save your audit coding of it (workbench audit, or F4)")
