"""The episode being coded: what the review, the wizards and the worklist share.

A coder codes a whole episode, not a guidance: codes found by search, and the codes
of any number of guidance wizards, in one sequence. Every code remembers where it
came from (a guidance, or the coder's hand), so that:

* re-running a guidance's wizard with changed answers replaces only that guidance's
  codes, where they stood, and never touches codes the coder added;
* re-running it with answers that give the same codes changes nothing, so the
  coder's own re-ordering and removals survive a look back into the wizard;
* the review can say which guidance or which hand each code came from.

The session is plain data: :meth:`CodingSession.to_state` is what a draft stores
(episode details included) and :meth:`CodingSession.from_state` reads it back,
including drafts and amend states written before sessions existed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

OPCS4, ICD10 = "opcs4", "icd10"
HAND = "hand"
HAND_REASON = "Added by the coder"
STATE_VERSION = 2
DETAIL_FIELDS = ("patient", "episode", "date", "nhs", "specialty", "sex", "age")
#: Answers of a second or later guidance are kept in the saved coding under "@<pack id>".
EXTRA_PACK_PREFIX = "@"
MARKS = {"dagger": "†", "asterisk": "*"}


@dataclass
class SessionCode:
    classification: str          # opcs4 | icd10
    code: str
    source: str                  # a guidance id ("IPG655") or HAND
    reason: str
    title: str = ""
    mark: str = ""               # "dagger" | "asterisk" for ICD-10 pairs

    def as_dict(self) -> dict[str, str]:
        return {"classification": self.classification, "code": self.code, "source": self.source,
                "reason": self.reason, "title": self.title, "mark": self.mark}

    @property
    def marked(self) -> str:
        """The code with its dagger or asterisk, as a PAS expects it."""
        return self.code + MARKS.get(self.mark, "")


@dataclass
class PackRun:
    """One guidance's wizard inside the episode: its answers and the codes last applied."""

    pack_id: str
    guidance_id: str
    answers: dict[str, object] = field(default_factory=dict)
    reopened: list[str] = field(default_factory=list)
    applied: list[tuple[str, str]] | None = None      # (classification, code); None until complete
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"pack_id": self.pack_id, "guidance_id": self.guidance_id, "answers": dict(self.answers),
                "reopened": list(self.reopened),
                "applied": [list(c) for c in self.applied] if self.applied is not None else None,
                "notes": list(self.notes)}


@dataclass
class CodingSession:
    details: dict[str, str] = field(default_factory=dict)
    packs: list[PackRun] = field(default_factory=list)
    codes: list[SessionCode] = field(default_factory=list)
    worklist_item: int | None = None
    amend_of: int | None = None
    stage: str = "review"            # review | wizard (which screen a resumed draft opens)
    current_pack: str | None = None  # the guidance whose wizard was open
    #: A blind audit coding: {"sample": id, "episode": id, "position": n}. Saved to the audit
    #: store, never to the log (workbench.core.audit).
    audit: dict[str, int] | None = None
    #: Chosen before the first save attempt and kept in the draft, so a save retried after
    #: a crash returns the episode the first attempt wrote instead of writing it twice.
    save_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    # ------------------------------------------------------------ reading

    def of(self, classification: str) -> list[SessionCode]:
        return [c for c in self.codes if c.classification == classification]

    @property
    def procedures(self) -> list[str]:
        return [c.code for c in self.of(OPCS4)]

    @property
    def diagnoses(self) -> list[str]:
        return [c.code for c in self.of(ICD10)]

    def pack(self, pack_id: str) -> PackRun | None:
        return next((p for p in self.packs if p.pack_id == pack_id), None)

    def sequence_text(self) -> str:
        """The final sequence for the PAS: procedures, then diagnoses, space-separated, marks kept."""
        return " ".join(c.marked for c in [*self.of(OPCS4), *self.of(ICD10)])

    def describe(self) -> str:
        """A short line for lists of drafts and the status line (no NHS number), its stored text
        with control characters escaped (safetext.visible): it is only ever shown."""
        from workbench.core.safetext import visible

        who = " · ".join(visible(v) for v in (self.details.get("patient"), self.details.get("episode")) if v)
        what = ", ".join(p.guidance_id for p in self.packs) or "no guidance"
        count = len(self.codes)
        audit = f"audit {self.audit['sample']} (blind) · " if self.audit else ""
        return f"{audit}{who or 'new episode'} · {what} · {count} code{'s' if count != 1 else ''}"

    # ------------------------------------------------------------ codes by hand

    def add_code(self, classification: str, code: str, title: str = "") -> SessionCode:
        entry = SessionCode(classification, code, HAND, HAND_REASON, title)
        self.codes.append(entry)
        return entry

    def position(self, classification: str, index: int) -> int:
        """The index in ``codes`` of the ``index``-th code of ``classification``."""
        return [i for i, c in enumerate(self.codes) if c.classification == classification][index]

    def remove(self, classification: str, index: int) -> SessionCode:
        return self.codes.pop(self.position(classification, index))

    def move(self, classification: str, index: int, step: int) -> int:
        """Swap a code with its neighbour in the same list; returns its new index there."""
        same = [i for i, c in enumerate(self.codes) if c.classification == classification]
        target = index + step
        if not 0 <= index < len(same) or not 0 <= target < len(same):
            return index
        a, b = same[index], same[target]
        self.codes[a], self.codes[b] = self.codes[b], self.codes[a]
        return target

    # ------------------------------------------------------------ guidance wizards

    def start_pack(self, pack_id: str, guidance_id: str) -> PackRun:
        run = self.pack(pack_id)
        if run is None:
            run = PackRun(pack_id, guidance_id)
            self.packs.append(run)
        self.current_pack = pack_id
        return run

    def apply_pack(self, pack_id: str, entries: list[Any], notes: list[str] | None = None) -> bool:
        """A finished wizard's codes (core rules ``Entry``-like objects, procedures then diagnoses).

        Returns True when the sequence changed. Codes equal to those applied last time
        change nothing; otherwise the guidance's codes are replaced where the first of
        them stood (appended when it had none), and every other code stays put.
        """
        run = self.pack(pack_id)
        if run is None:
            raise KeyError(pack_id)
        run.notes = list(notes or [])
        wanted = [(_classification(e), e.code) for e in entries]
        if run.applied == wanted:
            return False
        source = run.guidance_id
        for classification in (OPCS4, ICD10):
            new = [SessionCode(classification, e.code, source, e.reason, getattr(e, "title", "") or "",
                               getattr(e, "mark", "") or "")
                   for e in entries if _classification(e) == classification]
            at = next((i for i, c in enumerate(self.codes)
                       if c.source == source and c.classification == classification), None)
            self.codes = [c for c in self.codes if not (c.source == source and c.classification == classification)]
            if at is None:
                same = [i for i, c in enumerate(self.codes) if c.classification == classification]
                at = same[-1] + 1 if same else len(self.codes)
            self.codes[at:at] = new
        run.applied = wanted
        return True

    def adopt_pack(self, pack_id: str, entries: list[Any], notes: list[str] | None = None) -> None:
        """An amend or an old draft: claim the codes this guidance gives from those already listed.

        The saved sequence stands as it is (the coder may have re-ordered it); each of
        the guidance's codes found among the hand codes is marked as the guidance's.
        """
        run = self.pack(pack_id)
        if run is None:
            raise KeyError(pack_id)
        run.notes = list(notes or [])
        for entry in entries:
            match = next((c for c in self.codes if c.source == HAND and c.code == entry.code
                          and c.classification == _classification(entry)), None)
            if match is not None:
                match.source, match.reason = run.guidance_id, entry.reason
                match.title = match.title or getattr(entry, "title", "") or ""
                match.mark = getattr(entry, "mark", "") or ""
        run.applied = [(_classification(e), e.code) for e in entries]

    def drop_pack(self, pack_id: str) -> None:
        """Take a guidance out of the episode, with its codes."""
        run = self.pack(pack_id)
        if run is None:
            return
        self.packs.remove(run)
        self.codes = [c for c in self.codes if c.source != run.guidance_id]
        if self.current_pack == pack_id:
            self.current_pack = None

    # ------------------------------------------------------------ saving

    def coding_answers(self) -> dict[str, object]:
        """Answers for the saved coding: the first guidance's as they are, later ones under '@id'."""
        if not self.packs:
            return {}
        answers: dict[str, object] = dict(self.packs[0].answers)
        for run in self.packs[1:]:
            answers[EXTRA_PACK_PREFIX + run.pack_id] = dict(run.answers)
        return answers

    # ------------------------------------------------------------ drafts

    def to_state(self) -> dict[str, Any]:
        first = self.packs[0] if self.packs else None
        return {
            "version": STATE_VERSION, "stage": self.stage, "current_pack": self.current_pack,
            "details": {k: v for k, v in self.details.items() if v},
            "packs": [p.as_dict() for p in self.packs],
            "codes": [c.as_dict() for c in self.codes],
            "worklist_item": self.worklist_item, "amend_of": self.amend_of, "save_id": self.save_id,
            "audit": dict(self.audit) if self.audit else None,
            # Read by older screens and by `workbench log drafts`:
            "guidance_id": first.guidance_id if first else None,
            "answers": dict(first.answers) if first else {},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CodingSession:
        if int(state.get("version") or 1) >= STATE_VERSION and "codes" in state:
            return cls._from_v2(state)
        return cls._from_v1(state)

    @classmethod
    def _from_v2(cls, state: dict[str, Any]) -> CodingSession:
        packs = []
        for p in state.get("packs") or []:
            applied = p.get("applied")
            packs.append(PackRun(p["pack_id"], p.get("guidance_id") or p["pack_id"], dict(p.get("answers") or {}),
                                 list(p.get("reopened") or []),
                                 [tuple(c) for c in applied] if applied is not None else None,
                                 list(p.get("notes") or [])))
        codes = [SessionCode(c["classification"], c["code"], c.get("source") or HAND,
                             c.get("reason") or HAND_REASON, c.get("title") or "", c.get("mark") or "")
                 for c in state.get("codes") or []]
        session = cls(details=_details(state.get("details")), packs=packs, codes=codes,
                      worklist_item=state.get("worklist_item"), amend_of=state.get("amend_of"),
                      stage=state.get("stage") or "review", current_pack=state.get("current_pack"),
                      audit=_audit(state.get("audit")))
        if isinstance(state.get("save_id"), str) and state["save_id"].strip():
            session.save_id = state["save_id"]
        return session

    @classmethod
    def _from_v1(cls, state: dict[str, Any]) -> CodingSession:
        """A wizard draft or an amend: one guidance, and maybe its saved sequence."""
        session = cls(details=_details(state.get("details")), amend_of=state.get("amend_of"),
                      worklist_item=state.get("worklist_item"))
        answers = dict(state.get("answers") or {})
        extra = {k[len(EXTRA_PACK_PREFIX):]: v for k, v in answers.items()
                 if k.startswith(EXTRA_PACK_PREFIX) and isinstance(v, dict)}
        answers = {k: v for k, v in answers.items() if not k.startswith(EXTRA_PACK_PREFIX)}
        pack_id = state.get("pack_id")
        if pack_id:
            session.packs.append(PackRun(pack_id, state.get("guidance_id") or pack_id, answers,
                                         list(state.get("reopened") or [])))
            session.current_pack = pack_id
        for other, other_answers in extra.items():
            session.packs.append(PackRun(other, other, dict(other_answers)))
        saved = state.get("stage") == "review" and state.get("procedures") is not None
        for classification, key in ((OPCS4, "procedures"), (ICD10, "diagnoses")):
            for code in state.get(key) or []:
                session.add_code(classification, code)
        session.stage = "review" if saved or not pack_id else "wizard"
        return session


def _classification(entry: Any) -> str:
    classification = getattr(entry, "classification", None)
    if classification in (OPCS4, ICD10):
        return classification
    return OPCS4 if getattr(entry, "kind", "procedure") == "procedure" else ICD10


def _audit(raw: Any) -> dict[str, int] | None:
    if not isinstance(raw, dict):
        return None
    try:
        return {k: int(raw[k]) for k in ("sample", "episode", "position") if k in raw}
    except (TypeError, ValueError):
        return None


def _details(raw: Any) -> dict[str, str]:
    raw = raw if isinstance(raw, dict) else {}
    return {k: str(raw.get(k) or "") for k in DETAIL_FIELDS if raw.get(k)}

