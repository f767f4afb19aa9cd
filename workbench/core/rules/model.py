"""The domain objects of a rule pack and of an evaluation.

A :class:`Pack` is what the loader builds from a YAML file; the engine never sees
YAML. Every object that came from a file keeps its ``line`` so the linter can
name ``file:line``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.lifecycle import Lifecycle

# ---------------------------------------------------------------- errors


class PackError(Exception):
    """A rule pack that cannot be used; ``str()`` is ``path:line: message``."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class AnswerError(ValueError):
    """An answer that does not fit its question; ``str()`` is a plain reason."""


# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Is:
    """The answer to ``question`` is one of ``values`` (for multi: includes one of them)."""

    question: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class InRange:
    """A number answer between ``minimum`` and ``maximum`` inclusive (either may be open)."""

    question: str
    minimum: int | None
    maximum: int | None


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


@dataclass(frozen=True)
class EpisodeHas:
    """The episode holds a code within ``scope`` (chapters "L", categories "F34", codes "F34.1").

    In a `when` of a question, code entry or note it looks at the episode's other codes (added
    by hand or by another guidance), never at the pack's own; in a position rule, at the whole
    sequence being checked.
    """

    classification: str                  # "opcs4" (procedures) | "icd10" (diagnoses)
    scope: tuple[str, ...]


Condition = Is | InRange | AllOf | AnyOf | Not | EpisodeHas


@dataclass(frozen=True)
class EpisodeCodes:
    """The codes of the episode that did not come from the pack being evaluated."""

    procedures: tuple[str, ...] = ()
    diagnoses: tuple[str, ...] = ()

    def codes(self, classification: str) -> tuple[str, ...]:
        return self.procedures if classification == "opcs4" else self.diagnoses

# ---------------------------------------------------------------- questions

KINDS = ("yesno", "choice", "multi", "number", "code")


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    help: str = ""
    codes: tuple[str, ...] = ()          # codes a `from:` item emits when this option is chosen
    reason: str = ""                     # overrides the generated reason for those codes
    preferred: bool = False              # the guidance prefers it among valid alternatives
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Question:
    id: str                              # unique in a pack; repeat instances get "stents.2.type"
    kind: str                            # one of KINDS
    prompt: str
    help: str
    source: str                          # the guidance passage behind the question
    options: list[Option]                # yesno: yes/no; code and number: empty
    default: str | None                  # what Enter takes, when the pack declares one
    minimum: int | None = None           # number questions
    maximum: int | None = None
    code_scope: list[str] = field(default_factory=list)   # code questions: allowed chapters/categories
    examples: list[object] = field(default_factory=list)  # representative answers for path tests
    several: bool = False                # code questions: more than one code allowed
    classification: str = "opcs4"        # code questions: which classification the codes are in
    group: str | None = None             # repeat group id, for instance questions
    instance: int | None = None          # 1-based instance number within the group
    when: Condition | None = field(default=None, compare=False)
    line: int = field(default=0, compare=False)

    @property
    def template_id(self) -> str:
        """The id as written in the pack ('type' for 'stents.2.type')."""
        return self.id.rsplit(".", 1)[-1] if self.group else self.id

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Group:
    """A repeatable set of questions, e.g. one set per type of stent."""

    id: str
    questions: tuple[Question, ...]
    another: Question                    # the yes/no asked after each instance
    maximum: int
    distinct: tuple[str, ...] = ()       # questions whose chosen option is not offered again
    when: Condition | None = None
    line: int = 0
    item: str = ""                       # what one instance is ("type of stent"), for prompts


# ---------------------------------------------------------------- code items


@dataclass(frozen=True)
class Fixed:
    """Codes emitted when ``when`` holds."""

    codes: tuple[str, ...]
    when: Condition | None = None
    reason: str = ""
    source: str = ""
    mark: str = ""                       # "dagger" | "asterisk" | ""
    line: int = 0


@dataclass(frozen=True)
class FromAnswer:
    """The codes carried by the chosen option(s), or the code(s) the coder entered."""

    question: str
    within: tuple[str, ...] = ()         # placeholder categories the codes must fall in ("Y53.-")
    default: str | None = None           # the documented default when the question was not asked
    when: Condition | None = None
    reason: str = ""
    source: str = ""
    mark: str = ""
    line: int = 0


@dataclass(frozen=True)
class Table:
    """A code looked up by the answers to several questions (type x number of stents)."""

    keys: tuple[str, ...]
    rows: dict                           # value -> code | nested dict for the next key
    when: Condition | None = None
    reason: str = ""
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class Each:
    """Items evaluated once per instance of a repeat group, in instance order."""

    group: str
    items: tuple[Item, ...]
    line: int = 0


Item = Fixed | FromAnswer | Table | Each


@dataclass(frozen=True)
class Note:
    text: str
    when: Condition | None = None
    line: int = 0


@dataclass(frozen=True)
class Suppression:
    """``code`` is dropped when any of ``by`` is in the same sequence."""

    code: str
    by: tuple[str, ...]
    reason: str = ""
    line: int = 0


@dataclass(frozen=True)
class Exclusion:
    """``code`` must never be coded with any of ``with_codes`` (checked by the edits)."""

    code: str
    with_codes: tuple[str, ...]
    reason: str = ""
    line: int = 0


@dataclass(frozen=True)
class Forbidden:
    code: str
    reason: str = ""
    line: int = 0


@dataclass(frozen=True)
class Scope:
    """What the pack's rules cover (e.g. the percutaneous approach); outside it, nothing is coded."""

    covers: str                          # "the percutaneous approach with image guidance"
    when: Condition                      # holds inside the scope
    line: int = 0


@dataclass(frozen=True)
class Position:
    """Where a code must sit: in a fixed place (V55.- second), straight after another code (V55.-
    after any chapter V operation), or somewhere after one (E20.4 secondary to a tonsillectomy)."""

    codes: tuple[str, ...]               # codes, categories ("V55.-") or chapters the rule is about
    place: int | None = None             # 1-based place in the procedure list
    after: tuple[str, ...] = ()          # ... or directly after one of these (codes, categories, chapters)
    reason: str = ""
    line: int = 0
    secondary_to: tuple[str, ...] = ()   # ... or anywhere after one of these
    when: Condition | None = None        # only when it holds (conditions on the episode's codes)


@dataclass(frozen=True)
class Population:
    """Who the guidance is for, when it names them (infants, children, women): checked against
    the episode's age and sex so that a guidance for infants is never used for an adult unawares."""

    who: str                             # the guidance's own word: "infants", "women"
    minimum_age: int | None = None       # whole years, inclusive
    maximum_age: int | None = None
    sex: str | None = None               # "male" | "female"
    line: int = 0


@dataclass(frozen=True)
class Pack:
    id: str
    guidance_id: str
    title: str
    version: str
    status: str                          # "draft" | "approved"
    partial: bool
    partial_reason: str
    editions: dict[str, str]
    source_url: str
    source: str                          # the guidance passage the pack encodes, in short
    questions: tuple[Question | Group, ...]
    procedures: tuple[Item, ...]
    diagnoses: tuple[Item, ...]
    notes: tuple[Note, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    forbidden: tuple[Forbidden, ...] = ()
    requires_diagnosis: bool = False
    site_codes: tuple[str, ...] = ()
    snomed: tuple[dict, ...] = ()
    lifecycle: Lifecycle = Lifecycle()
    scope: Scope | None = None
    positions: tuple[Position, ...] = ()
    case_by_case: str = ""               # no fixed codes: why, and what to code by hand
    population: Population | None = None
    path: str = ""
    code_lines: tuple[tuple[str, str, int], ...] = ()   # (classification, code, line) for the linter

    def find_question(self, question_id: str) -> Question | None:
        """A question by id; instance ids ('stents.2.type') find their template."""
        parts = question_id.split(".")
        for item in self.questions:
            if isinstance(item, Question) and item.id == question_id:
                return item
            if isinstance(item, Group) and len(parts) == 3 and parts[0] == item.id:
                if parts[2] == "another":
                    return item.another
                return next((q for q in item.questions if q.id == parts[2]), None)
        return None

    def all_questions(self) -> list[Question]:
        """Every question template in asking order (group questions included)."""
        out: list[Question] = []
        for item in self.questions:
            if isinstance(item, Group):
                out.extend(item.questions)
                out.append(item.another)
            else:
                out.append(item)
        return out


@dataclass(frozen=True)
class PackSummary:
    id: str
    guidance_id: str
    title: str
    status: str
    partial: bool
    version: str
    path: str = ""


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Entry:
    position: int                        # 1-based
    code: str
    title: str
    classification: str                  # "opcs4" | "icd10"
    reason: str                          # which answer or rule put it there
    source: str                          # guidance passage
    mark: str = ""                       # "dagger" | "asterisk" for ICD-10 pairs
    instance: str = ""                   # the repeat-group instance that gave it ("further.2"), if any


@dataclass(frozen=True)
class Evaluation:
    complete: bool
    next_question: Question | None
    answered: list[tuple[Question, object]]
    answers: dict[str, object]
    procedures: list[Entry]
    diagnoses: list[Entry]
    notes: list[str]
    progress: tuple[int, int]
    rejected: dict[str, str] = field(default_factory=dict)   # answer id -> why it was not used
    handover: str = ""                   # the pack cannot code this episode: why (out of scope, case by case)


@dataclass(frozen=True)
class EditResult:
    id: str
    severity: str                        # "error" | "warning"
    message: str
    position: int | None
    classification: str | None
