"""Domain objects of the episode log: what callers give it and what queries return."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

FINAL, AMENDED, VOIDED = "final", "amended", "voided"
MARK_SIGNS = {"dagger": "\u2020", "asterisk": "*"}
STATUSES = (FINAL, AMENDED, VOIDED)


class LogError(Exception):
    """The log cannot do what was asked; ``str(exc)`` is a plain sentence for the user.

    Messages never contain patient identifiers.
    """


class EpisodeNotFound(LogError):
    """No episode has the id asked for."""


class DuplicateEpisode(LogError):
    """A live episode already has this patient, episode reference and start date (``near``: the
    same once case, spaces, zero-width and full-width characters are set aside)."""

    def __init__(self, message: str, existing_id: int, near: bool = False):
        super().__init__(message)
        self.existing_id = existing_id
        self.near = near


class DraftAlreadySaved(LogError):
    """The draft was already consumed by another save (another window, or a retry)."""

    def __init__(self, message: str, episode_id: int):
        super().__init__(message)
        self.episode_id = episode_id


@dataclass(frozen=True)
class EpisodeDetails:
    patient: str                          # local patient identifier
    episode: str                          # spell or consultant episode reference
    date: dt.date                         # episode start date
    nhs_number: str | None = None         # 10 digits, check digit verified
    specialty: str | None = None
    sex: str | None = None                # "male" | "female" | None (not given)
    age: int | None = None                # whole years at the episode start, or None
    fce: str | None = None                # consultant episode number within the spell (schema 5)
    end_date: dt.date | None = None       # discharge (episode end) date
    consultant: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"patient": self.patient, "nhs_number": self.nhs_number, "episode": self.episode,
                "date": self.date.isoformat(), "specialty": self.specialty,
                **({"sex": self.sex} if self.sex else {}), **({"age": self.age} if self.age is not None else {}),
                **({"fce": self.fce} if self.fce else {}),
                **({"end_date": self.end_date.isoformat()} if self.end_date else {}),
                **({"consultant": self.consultant} if self.consultant else {})}


@dataclass(frozen=True)
class CodedEntry:
    code: str                             # "L80.4", "I50.9"
    classification: str                   # "opcs4" | "icd10"
    edition: str                          # the classification edition it was coded against
    mark: str | None = None               # ICD-10 "dagger" | "asterisk" | None

    def shown(self) -> str:
        """The code with its mark: 'Q90.0†', 'H19.8*'."""
        return self.code + MARK_SIGNS.get(self.mark or "", "")


@dataclass(frozen=True)
class Override:
    edit_id: str                          # the validation edit that was overridden
    reason: str


@dataclass(frozen=True)
class Coding:
    procedures: list[CodedEntry]
    diagnoses: list[CodedEntry]
    guidance_id: str | None = None
    pack_id: str | None = None
    pack_version: str | None = None
    answers: dict[str, object] = field(default_factory=dict)
    overrides: list[Override] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "procedures": [e.code for e in self.procedures],
            "diagnoses": [e.code for e in self.diagnoses],
            "codes": [{"code": e.code, "classification": e.classification, "edition": e.edition,
                       **({"mark": e.mark} if e.mark else {})}
                      for e in (*self.procedures, *self.diagnoses)],
            "guidance": self.guidance_id, "pack_id": self.pack_id, "pack_version": self.pack_version,
            "answers": dict(self.answers),
            "overrides": [{"edit": o.edit_id, "reason": o.reason} for o in self.overrides],
        }


@dataclass(frozen=True)
class EpisodeVersion:
    version: int                          # 1, 2, ... within the episode
    status: str                           # final | amended | voided
    coding: Coding
    coder: str
    saved_at: dt.datetime                 # UTC, timezone-aware
    note: str | None = None
    reason: str | None = None             # why it was amended or voided
    coder_name: str | None = None         # the config's display name at the time (a label)
    coder_id: str | None = None           # the config's coder id at the time (a label)

    @property
    def coder_label(self) -> str:
        """'Ann Smith (ann, C1234)': the labels with the login they belong to."""
        from workbench.core.episodes.identity import describe

        return describe(self.coder, self.coder_name, self.coder_id)

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "status": self.status, **self.coding.as_dict(),
                "coder": self.coder, "coder_name": self.coder_name, "coder_id": self.coder_id,
                "saved_at": self.saved_at.isoformat(), "note": self.note, "reason": self.reason}


@dataclass(frozen=True)
class EpisodeSummary:
    id: int
    details: EpisodeDetails
    latest: EpisodeVersion

    def as_dict(self) -> dict[str, Any]:
        """Flat JSON-ready form: episode fields, then the latest version's."""
        return {"id": self.id, **self.details.as_dict(), **self.latest.as_dict()}


@dataclass(frozen=True)
class Draft:
    id: int
    coder: str
    state: dict[str, Any]                 # the wizard's state, as it gave it
    updated_at: dt.datetime
    created_at: dt.datetime | None = None   # when the coding started


@dataclass(frozen=True)
class BrokenEpisode:
    episode_id: int | None                # None when the damage cannot be tied to an episode
    problem: str


@dataclass(frozen=True)
class VerifyReport:
    integrity: list[str]                  # PRAGMA integrity_check lines other than "ok"
    broken: list[BrokenEpisode]
    versions_checked: int
    episodes: int = 0
    head_hash: str = ""                   # the newest version row's hash: compare with a checkpoint
    checkpoints_checked: int = 0
    notices: list[str] = field(default_factory=list)   # worth knowing, not damage (a clock step, ...)
    incremental: bool = False             # only what was appended since the last verified mark
    head_mac: str | None = None           # the department key's hash of the head, when keyed
    tables: dict[str, list] = field(default_factory=dict)   # heads of other append-only tables
    coders: dict[str, int] = field(default_factory=dict)   # login -> versions saved
    audit_records: int = 0                # records in the audit store (its own hash chain)
    audit_head: str = ""                  # the newest audit record's hash

    @property
    def ok(self) -> bool:
        return not self.integrity and not self.broken

    @property
    def broken_episode_ids(self) -> list[int]:
        return sorted({b.episode_id for b in self.broken if b.episode_id is not None})
