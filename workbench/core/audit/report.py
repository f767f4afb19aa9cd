"""The audit report: accuracy per code type with the attainment level reached, per coder and
per specialty, and every difference with the auditor's review of it.

Attainment levels (the NHS Classifications Service's percentage accuracy targets, used by
the Data Security and Protection Toolkit's clinical coding audit):

| code type           | Level 2 | Level 3 |
|---------------------|---------|---------|
| primary diagnosis   | >= 90%  | >= 95%  |
| secondary diagnosis | >= 80%  | >= 90%  |
| primary procedure   | >= 90%  | >= 95%  |
| secondary procedure | >= 80%  | >= 90%  |

A percentage is compared with the targets unrounded (89.99% is below 90%). A code type
with nothing to count (no procedures in the sample) is "not assessed" and does not lower
the overall level, which is the lowest level reached by the types assessed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any, TextIO

from workbench.core.audit.compare import CODE_TYPES, KIND_TITLES, TYPE_TITLES, Tally

TARGETS: dict[str, dict[str, float]] = {
    "Level 2": {"primary_diagnosis": 90.0, "secondary_diagnosis": 80.0,
                "primary_procedure": 90.0, "secondary_procedure": 80.0},
    "Level 3": {"primary_diagnosis": 95.0, "secondary_diagnosis": 90.0,
                "primary_procedure": 95.0, "secondary_procedure": 90.0},
}
LEVELS = ("Level 3", "Level 2")          # best first
BELOW, NOT_ASSESSED = "below Level 2", "not assessed"
ERROR_TYPES = ("coder", "documentation", "other")
ERROR_TITLES = {"coder": "coder error", "documentation": "documentation", "other": "other"}


def level_for(code_type: str, percent: float | None) -> str:
    if percent is None:
        return NOT_ASSESSED
    for level in LEVELS:
        if percent >= TARGETS[level][code_type]:
            return level
    return BELOW


def overall_level(levels: list[str]) -> str:
    assessed = [lv for lv in levels if lv != NOT_ASSESSED]
    if not assessed:
        return NOT_ASSESSED
    order = [*LEVELS, BELOW]
    return max(assessed, key=order.index)


@dataclass(frozen=True)
class TypeAccuracy:
    code_type: str
    right: int
    counted: int

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.right / self.counted, 2) if self.counted else None

    @property
    def level(self) -> str:
        exact = 100.0 * self.right / self.counted if self.counted else None
        return level_for(self.code_type, exact)

    def as_dict(self) -> dict[str, Any]:
        return {"code_type": self.code_type, "title": TYPE_TITLES[self.code_type], "right": self.right,
                "counted": self.counted, "percent": self.percent, "level": self.level,
                "targets": {lv: TARGETS[lv][self.code_type] for lv in ("Level 2", "Level 3")}}


@dataclass(frozen=True)
class Accuracy:
    """Accuracy of a group of audited episodes (the whole sample, a coder, a specialty)."""

    name: str
    episodes: int
    types: list[TypeAccuracy]

    @classmethod
    def of(cls, name: str, episodes: int, tally: Tally) -> Accuracy:
        return cls(name, episodes, [TypeAccuracy(t, tally.right[t], tally.counted[t]) for t in CODE_TYPES])

    @property
    def level(self) -> str:
        return overall_level([t.level for t in self.types])

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "episodes": self.episodes, "level": self.level,
                "types": [t.as_dict() for t in self.types]}


@dataclass(frozen=True)
class ReportedDifference:
    position: int                     # the episode's place in the sample
    episode_id: int
    coder: str
    specialty: str | None
    code_type: str
    kind: str
    original: str | None
    audit: str | None
    key: str
    error_type: str | None = None
    note: str | None = None
    agreed: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "episode_id": self.episode_id, "coder": self.coder,
                "specialty": self.specialty, "code_type": self.code_type, "kind": self.kind,
                "original": self.original, "audit": self.audit, "key": self.key,
                "error_type": self.error_type, "note": self.note, "agreed": self.agreed}


@dataclass
class AuditReport:
    sample_id: int
    name: str
    method: str
    drawn_by: str
    drawn_at: str
    sampled: int
    audited: int
    overall: Accuracy
    by_coder: list[Accuracy] = field(default_factory=list)
    by_specialty: list[Accuracy] = field(default_factory=list)
    differences: list[ReportedDifference] = field(default_factory=list)
    auditors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sample": self.sample_id, "name": self.name, "method": self.method,
                "drawn_by": self.drawn_by, "drawn_at": self.drawn_at, "sampled": self.sampled,
                "audited": self.audited, "auditors": self.auditors, "level": self.overall.level,
                "accuracy": self.overall.as_dict(), "by_coder": [a.as_dict() for a in self.by_coder],
                "by_specialty": [a.as_dict() for a in self.by_specialty],
                "differences": [d.as_dict() for d in self.differences],
                "targets": TARGETS}


CSV_COLUMNS = ["section", "group", "code_type", "right", "counted", "percent", "level",
               "position", "episode_id", "coder", "specialty", "difference", "coded", "audit",
               "error_type", "agreed", "note"]


def write_csv(report: AuditReport, out: TextIO) -> None:
    """One CSV: accuracy rows (overall, per coder, per specialty), then one row per difference.
    Cells that could run as a spreadsheet formula get a leading quote, as log exports do."""
    from workbench.core.episodes.export_file import neutralise_cell

    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)

    def row(**cells: Any) -> None:
        writer.writerow([neutralise_cell("" if cells.get(c) is None else cells[c]) for c in CSV_COLUMNS])

    for section, groups in (("overall", [report.overall]), ("coder", report.by_coder),
                            ("specialty", report.by_specialty)):
        for group in groups:
            for t in group.types:
                row(section=section, group=group.name, code_type=t.code_type, right=t.right,
                    counted=t.counted, percent="" if t.percent is None else f"{t.percent:.2f}", level=t.level)
    for d in report.differences:
        row(section="difference", code_type=d.code_type, position=d.position, episode_id=d.episode_id,
            coder=d.coder, specialty=d.specialty, difference=KIND_TITLES[d.kind], coded=d.original,
            audit=d.audit, error_type=d.error_type,
            agreed="" if d.agreed is None else ("yes" if d.agreed else "no"), note=d.note)
