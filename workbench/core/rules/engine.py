"""The engine: from a pack and the answers so far to the next question and the codes.

Pure functions. Every call recomputes from scratch, so changing an earlier answer
can never leave a stale code behind: answers to questions that no longer apply
are simply not carried into the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from workbench.core.rules.answers import check_answer
from workbench.core.rules.codes import ICD10, OPCS4, CodeCatalog, catalog_title
from workbench.core.rules.conditions import describe, holds, said_text
from workbench.core.rules.model import (
    AnswerError,
    Each,
    Entry,
    EpisodeCodes,
    Evaluation,
    Fixed,
    FromAnswer,
    Group,
    Item,
    Pack,
    Question,
    Table,
)


@dataclass
class _Draft:
    code: str
    reason: str
    source: str
    mark: str = ""
    instance: str = ""          # "further.2" for a code an instance of a repeat group gave


class _Walk:
    """One pass over the questions in asking order, recording what applies."""

    def __init__(self, pack: Pack, given: Mapping[str, object], episode: EpisodeCodes | None = None):
        self.pack = pack
        self.given = given
        self.episode = episode or EpisodeCodes()
        self.status: dict[str, str] = {}          # instance id -> answered | skipped | open
        self.accepted: dict[str, object] = {}
        self.provisional: dict[str, object] = {}  # answers whose question may still apply
        self.answered: list[tuple[Question, object]] = []
        self.rejected: dict[str, str] = {}
        self.questions: dict[str, Question] = {}  # instance id -> question as asked
        self.next_question: Question | None = None
        self.remaining = 0                        # questions that may still be asked
        self.instances: dict[str, int] = {}       # group id -> instances that exist

    def lookup(self, scope: Mapping[str, str]):
        def find(question_id: str) -> tuple[str, object]:
            real = scope.get(question_id, question_id)
            return self.status.get(real, "open"), self.accepted.get(real)

        return find

    def holds(self, condition, scope: Mapping[str, str]) -> bool | None:
        return holds(condition, self.lookup(scope), self.episode)

    def run(self) -> None:
        for item in self.pack.questions:
            if isinstance(item, Group):
                self.group(item)
            else:
                self.visit(item, item.id, {})

    def visit(self, template: Question, instance_id: str, scope: Mapping[str, str],
              question: Question | None = None) -> None:
        question = question or template
        self.questions[instance_id] = question
        applies = self.holds(template.when, scope)
        if applies is False:
            self.status[instance_id] = "skipped"
            return
        value = self.checked(question, instance_id)
        if applies is None:
            self.status[instance_id] = "open"
            self.remaining += 1
            if value is not None:
                self.provisional[instance_id] = value
            return
        if value is not None:
            self.status[instance_id] = "answered"
            self.accepted[instance_id] = value
            self.answered.append((question, value))
            return
        self.status[instance_id] = "open"
        self.remaining += 1
        if self.next_question is None:
            self.next_question = question

    def checked(self, question: Question, instance_id: str) -> object | None:
        if instance_id not in self.given:
            return None
        given = self.given[instance_id]
        # The same answers are checked evaluation after evaluation: remember the verdicts
        # (per pack, per question as asked, per answer; lists by their items).
        key = (id(question), tuple(given) if isinstance(given, list) else given)
        memo = _pack_cache(self.pack)["answers"]
        try:
            found = memo.get(key, _UNSEEN)
        except TypeError:          # an unhashable answer (a dict from JSON): check it afresh
            found, key = _UNSEEN, None
        if found is _UNSEEN:
            try:
                found = (True, check_answer(question, given))
            except AnswerError as exc:
                found = (False, str(exc))
            if key is not None:
                memo[key] = found
        ok, value = found
        if ok:
            return list(value) if isinstance(value, list) else value   # a caller's list is its own
        self.rejected[instance_id] = value
        return None

    def group(self, group: Group) -> None:
        per_instance = len(group.questions) + 1
        applies = self.holds(group.when, {})
        self.instances[group.id] = 0
        if applies is False:
            return
        if applies is None:
            self.remaining += group.maximum * per_instance - 1
            return
        for number in range(1, group.maximum + 1):
            self.instances[group.id] = number
            prefix = f"{group.id}.{number}."
            scope = {q.id: prefix + q.id for q in group.questions}
            scope["another"] = prefix + "another"
            for template in group.questions:
                options = self.distinct_options(group, template, number)
                self.visit(template, prefix + template.id, scope,
                           _instance_question(self.pack, group, template, number, options))
            if number == group.maximum:
                return
            self.visit(group.another, prefix + "another", scope,
                       _instance_question(self.pack, group, group.another, number, group.another.options))
            status, answer = self.status[prefix + "another"], self.accepted.get(prefix + "another")
            if status == "answered" and answer == "yes":
                continue
            if status == "open":
                self.remaining += (group.maximum - number) * per_instance - 1
            return

    def distinct_options(self, group: Group, template: Question, number: int) -> list:
        if template.id not in group.distinct:
            return template.options
        taken = {self.accepted.get(f"{group.id}.{k}.{template.id}") for k in range(1, number)}
        return [o for o in template.options if o.value not in taken]


_CACHES: dict[int, tuple[Pack, dict[str, dict]]] = {}
_UNSEEN = object()


def _pack_cache(pack: Pack) -> dict[str, dict]:
    """Per-pack memory of work the engine repeats evaluation after evaluation (a pack is immutable)."""
    cached = _CACHES.get(id(pack))
    if cached is None or cached[0] is not pack:
        if len(_CACHES) > 256:
            _CACHES.clear()
        cached = _CACHES[id(pack)] = (pack, {"instances": {}, "answers": {}})
    return cached[1]


def _instance_question(pack: Pack, group: Group, template: Question, number: int, options: list) -> Question:
    """The question as one instance asks it ("stents.2.type", its prompt naming the instance).

    Built once per pack, instance and set of options left (a path enumeration asks for them
    thousands of times)."""
    instances = _pack_cache(pack)["instances"]
    key = (group.id, template.id, number, tuple(o.value for o in options))
    question = instances.get(key)
    if question is None:
        question = instances[key] = replace(
            template, id=f"{group.id}.{number}.{template.id}", instance=number,
            prompt=instance_prompt(group, template.prompt, number), options=options)
    return question


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")


def instance_prompt(group: Group, prompt: str, number: int) -> str:
    """The first instance keeps the pack's prompt; later ones say which instance they are about."""
    if number == 1:
        return prompt
    what = group.item or group.id.replace("_", " ")
    return f"{prompt} ({_ORDINALS[number - 1]} {what})"


def _handover(pack: Pack, walk: _Walk) -> str:
    """Why the pack codes nothing for this episode, once that is known; '' otherwise."""
    if pack.case_by_case:
        return f"{pack.guidance_id} gives no fixed codes: {pack.case_by_case.rstrip('.')}. Code the episode by hand."
    if pack.scope is not None and walk.holds(pack.scope.when, {}) is False:
        return (f"{pack.guidance_id} covers only {pack.scope.covers.rstrip('.')}; its rules do not apply to "
                "this episode. Code the episode by hand.")
    return ""


def evaluate(pack: Pack, answers: Mapping[str, object], catalog: CodeCatalog | None = None,
             episode: EpisodeCodes | None = None, *, codes_so_far: bool = True) -> Evaluation:
    """The state of one coding: next question, answered questions, codes so far, notes.

    ``episode`` holds the episode's other codes (by hand, other guidance) that ``episode_has``
    conditions test; without it the episode holds nothing else. ``codes_so_far=False`` leaves
    the codes and notes out while the answers are incomplete (a path enumeration needs only the
    next question there, and asks for thousands).
    """
    walk = _Walk(pack, answers, episode)
    walk.run()
    handover = _handover(pack, walk)
    if handover:
        # Outside the pack's scope (or no fixed codes): ask nothing more, code nothing.
        count = len(walk.answered)
        return Evaluation(complete=True, next_question=None, answered=walk.answered,
                          answers=dict(walk.accepted), procedures=[], diagnoses=[],
                          notes=[handover], progress=(count, count), rejected=walk.rejected,
                          handover=handover)
    complete = walk.next_question is None and walk.remaining == 0
    count = len(walk.answered)
    progress = (count, count) if complete else (count + 1, count + walk.remaining)
    if not complete and not codes_so_far:
        return Evaluation(complete=False, next_question=walk.next_question, answered=walk.answered,
                          answers={**walk.accepted, **walk.provisional}, procedures=[], diagnoses=[],
                          notes=[], progress=progress, rejected=walk.rejected)
    emitter = _Emitter(pack, walk, complete)
    procedures = emitter.emit(pack.procedures, {})
    diagnoses = emitter.emit(pack.diagnoses, {})
    notes = [n.text for n in pack.notes if walk.holds(n.when, {}) is True]
    procedures, diagnoses = _suppress(pack, procedures, diagnoses, notes)
    return Evaluation(
        complete=complete,
        next_question=walk.next_question,
        answered=walk.answered,
        answers={**walk.accepted, **walk.provisional},
        procedures=_entries(procedures, OPCS4, catalog),
        diagnoses=_entries(diagnoses, ICD10, catalog),
        notes=notes,
        progress=progress,
        rejected=walk.rejected,
    )


class _Emitter:
    def __init__(self, pack: Pack, walk: _Walk, complete: bool):
        self.pack = pack
        self.walk = walk
        self.complete = complete

    def prompt(self, scope: Mapping[str, str]):
        def text(question_id: str) -> str:
            question = self.walk.questions.get(scope.get(question_id, question_id))
            return question.prompt if question else question_id

        return text

    def label(self, scope: Mapping[str, str]):
        def text(question_id: str, value: str) -> str:
            question = self.walk.questions.get(scope.get(question_id, question_id))
            option = question.option(value) if question is not None and question.options else None
            return option.label if option is not None and option.label else value

        return text

    def emit(self, items: tuple[Item, ...], scope: Mapping[str, str], instance: str = "") -> list[_Draft]:
        out: list[_Draft] = []
        for item in items:
            if isinstance(item, Each):
                for number in range(1, self.walk.instances.get(item.group, 0) + 1):
                    prefix = f"{item.group}.{number}."
                    group = next(g for g in self.pack.questions if isinstance(g, Group) and g.id == item.group)
                    inner = {q.id: prefix + q.id for q in group.questions}
                    inner["another"] = prefix + "another"
                    out.extend(self.emit(item.items, inner, f"{item.group}.{number}"))
                continue
            if self.walk.holds(item.when, scope) is not True:
                continue
            source = item.source or self.pack.source
            if isinstance(item, Fixed):
                reason = item.reason or self.because(item.when, scope)
                drafts = [_Draft(code, reason, source, item.mark) for code in item.codes]
            elif isinstance(item, FromAnswer):
                drafts = self.from_answer(item, scope)
            else:
                drafts = self.table(item, scope)
            for draft in drafts:
                draft.instance = instance
            out.extend(drafts)
        return out

    def because(self, when, scope) -> str:
        if when is None:
            return "Always coded for this procedure"
        return "Because: " + describe(when, self.prompt(scope), self.label(scope))

    def from_answer(self, item: FromAnswer, scope: Mapping[str, str]) -> list[_Draft]:
        real = scope.get(item.question, item.question)
        status = self.walk.status.get(real, "open")
        question = self.walk.questions.get(real)
        source = item.source or (question.source if question else "") or self.pack.source
        if status == "answered" and question is not None:
            answer = self.walk.accepted[real]
            if question.kind == "code":
                codes = answer if isinstance(answer, list) else [answer]
                reason = item.reason or f"Entered by the coder for: {question.prompt}"
                return [_Draft(str(c), reason, source, item.mark) for c in codes]
            chosen = answer if isinstance(answer, list) else [answer]
            out = []
            for option in question.options:
                if option.value in chosen:
                    reason = option.reason or item.reason or said_text(question.prompt, option.label)
                    out.extend(_Draft(c, reason, source, item.mark) for c in option.codes)
            return out
        if status == "skipped" and item.default:
            prompt = question.prompt if question else item.question
            reason = item.reason or f"Not asked ({prompt}): the documented default {item.default} applies"
            return [_Draft(item.default, reason, source, item.mark)]
        if status == "skipped" and item.within and self.complete:
            # Left visible on purpose: the edits and the linter flag an unresolved placeholder.
            return [_Draft(item.within[0], "Unresolved: no answer gives the 4th character", source)]
        return []

    def table(self, item: Table, scope: Mapping[str, str]) -> list[_Draft]:
        node: object = item.rows
        said: list[str] = []
        said_answer = said_text
        for key in item.keys:
            real = scope.get(key, key)
            if self.walk.status.get(real) != "answered" or not isinstance(node, dict):
                return []
            answer = self.walk.accepted[real]
            question = self.walk.questions[real]
            option = question.option(str(answer))
            said.append(said_answer(question.prompt, option.label if option else str(answer)))
            node = node.get(answer)
            if node is None:
                return []
            if isinstance(node, str):
                source = item.source or question.source or self.pack.source
                return [_Draft(node, item.reason or "; ".join(said), source)]
        return []


def _suppress(pack: Pack, procedures: list[_Draft], diagnoses: list[_Draft], notes: list[str]):
    for rule in pack.suppressions:
        for drafts in (procedures, diagnoses):
            codes = {d.code for d in drafts}
            if rule.code in codes and any(by in codes for by in rule.by):
                drafts[:] = [d for d in drafts if d.code != rule.code]
                notes.append(f"{rule.code} is not coded: {rule.reason}")
    return procedures, diagnoses


def _entries(drafts: list[_Draft], classification: str, catalog: CodeCatalog | None) -> list[Entry]:
    return [
        Entry(position=i, code=d.code, title=catalog_title(catalog, classification, d.code),
              classification=classification, reason=d.reason, source=d.source, mark=d.mark,
              instance=d.instance)
        for i, d in enumerate(drafts, start=1)
    ]
