"""Enumerating every answer path of a pack (for tests, the linter and `rules paths`).

Each path is a complete set of answers reached by answering the engine's next
question with every value it allows. Number and code questions are tried at their
``examples``; a repeat group is tried once and twice (``repeat_cap``), which is
enough to exercise everything an instance can emit and the link between instances.
A later instance can emit nothing the first cannot, and depends on earlier instances only
through the group's ``distinct`` questions (a type of stent chosen before is not offered
again): so its distinct questions are tried at every answer left, its other questions at
their first answer only.

A pack whose conditions test the episode's other codes (``episode_has``) is walked once
per combination of those tests: without the codes, and with a code each test looks for
(the path's ``context``, e.g. ``("F34",)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product

from workbench.core.rules.codes import OPCS4, CodeCatalog
from workbench.core.rules.conditions import episode_tests
from workbench.core.rules.engine import evaluate
from workbench.core.rules.model import (
    Each,
    EpisodeCodes,
    EpisodeHas,
    Evaluation,
    Group,
    Pack,
    Question,
)

MAX_PATHS = 20_000   # a guard: a pack this branchy is a pack to split, and the linter says so
#: A bound on the work, counted as evaluations times the pack's questions and code items
#: (what one evaluation visits): without it 16 yes/no questions reach MAX_PATHS only after
#: ~10 s, and 40 after ~30 s. The branchiest shipped pack (IPG75) needs about 32,000.
MAX_WORK = 100_000


class TooManyPaths(Exception):
    pass


class StuckPath(Exception):
    """A question none of whose candidate answers is accepted: no path goes on from it."""


@dataclass(frozen=True)
class AnswerPath:
    answers: dict[str, object]
    evaluation: Evaluation
    context: tuple[str, ...] = ()            # what the episode was taken to hold: ("F34",)
    episode: EpisodeCodes = EpisodeCodes()   # ... as the codes the engine was given

    @property
    def procedures(self) -> list[str]:
        return [e.code for e in self.evaluation.procedures]

    @property
    def diagnoses(self) -> list[str]:
        return [e.code for e in self.evaluation.diagnoses]


def candidate_answers(question: Question, repeat_cap: int = 2, first_only: bool = False) -> list[object]:
    """The answers a path tries; ``first_only`` for a later instance of a group without `distinct`."""
    if question.kind == "yesno":
        if question.template_id == "another" and (question.instance or 0) >= repeat_cap:
            return ["no"]
        if first_only and question.template_id != "another":
            return ["yes"]
        return ["yes", "no"]
    if first_only:
        return candidate_answers(question, repeat_cap)[:1]
    if question.kind == "choice":
        return [o.value for o in question.options]
    if question.kind == "multi":
        values = [o.value for o in question.options]
        if len(values) <= 6:
            sizes = range(1, len(values) + 1)
            return [list(c) for size in sizes for c in combinations(values, size)]
        return [[v] for v in values] + [list(c) for c in combinations(values, 2)] + [values]
    if question.kind == "code" and question.several and len(question.examples) > 1:
        return [[e] for e in question.examples] + [list(question.examples)]
    return list(question.examples)


def enumerate_paths(pack: Pack, catalog: CodeCatalog | None = None, repeat_cap: int = 2,
                    limit: int = MAX_PATHS, max_work: int = MAX_WORK, *,
                    every_instance: bool = False) -> list[AnswerPath]:
    """Every complete answer path, in the order the questions offer their options.

    Raises TooManyPaths beyond ``limit`` paths or ``max_work`` (see MAX_WORK), so that
    it ends in bounded time whatever the pack. ``every_instance``: later repeat-group instances
    try every answer too (the mutation benchmark's right sequences).
    """
    paths: list[AnswerPath] = []
    cost = 1 + sum(1 for _ in pack.all_questions()) + _item_count(pack)
    work = 0
    distinct = {g.id: set(g.distinct) for g in pack.questions if isinstance(g, Group)}
    for context, episode in contexts(pack):
        stack: list[dict[str, object]] = [{}]
        while stack:
            answers = stack.pop()
            work += cost
            if work > max_work:
                raise TooManyPaths(f"{pack.id} has too many answer paths to check ({len(paths)} found "
                                   f"before the bound of {max_work:,} evaluation steps)")
            result = evaluate(pack, answers, catalog, episode, codes_so_far=False)
            if result.complete:
                paths.append(AnswerPath(dict(result.answers), result, context, episode))
                if len(paths) > limit:
                    raise TooManyPaths(f"{pack.id} has more than {limit} answer paths")
                continue
            question = result.next_question
            if question is None or question.id in answers:
                # The answer given was refused: enumerating on would loop for ever.
                why = result.rejected.get(question.id, "") if question else "no next question"
                raise StuckPath(f"question '{question.id if question else '?'}' refuses its answer {why}".strip())
            first_only = (not every_instance and (question.instance or 1) > 1 and question.group in distinct
                          and question.template_id not in distinct[question.group])
            candidates = candidate_answers(question, repeat_cap, first_only)
            if not candidates:
                raise StuckPath(f"question '{question.id}' has no answer to try (no options left or no examples)")
            # Reversed so that popping from the stack visits options in their declared order.
            for value in reversed(candidates):
                stack.append({**result.answers, question.id: value})
    return paths


def pack_episode_tests(pack: Pack) -> list[EpisodeHas]:
    """Every distinct test of the episode's codes in the pack, in the order the file gives them."""
    conditions = [q.when for q in pack.all_questions()]
    conditions += [g.when for g in pack.questions if isinstance(g, Group)]
    conditions += [n.when for n in pack.notes] + [p.when for p in pack.positions]
    conditions += [pack.scope.when] if pack.scope is not None else []
    items = [*pack.procedures, *pack.diagnoses]
    while items:
        item = items.pop(0)
        if isinstance(item, Each):
            items.extend(item.items)
        else:
            conditions.append(item.when)
    return list(dict.fromkeys(test for c in conditions for test in episode_tests(c)))


def contexts(pack: Pack) -> list[tuple[tuple[str, ...], EpisodeCodes]]:
    """The episodes a pack is walked in: none of its tests true first, then every combination.

    A test stands for its first scope entry ('F34'): what the path says the episode holds."""
    tests = pack_episode_tests(pack)
    out = []
    for truth in product((False, True), repeat=len(tests)):
        chosen = [t for t, on in zip(tests, truth, strict=True) if on]
        procedures = tuple(t.scope[0] for t in chosen if t.classification == OPCS4)
        diagnoses = tuple(t.scope[0] for t in chosen if t.classification != OPCS4)
        out.append((procedures + diagnoses, EpisodeCodes(procedures, diagnoses)))
    return out


def _item_count(pack: Pack) -> int:
    count, items = 0, [*pack.procedures, *pack.diagnoses]
    while items:
        count += 1
        items.extend(getattr(items.pop(), "items", None) or ())
    return count
