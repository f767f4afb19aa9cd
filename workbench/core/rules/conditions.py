"""Conditions over answers: parsing from YAML nodes, three-valued evaluation, wording.

Written forms (see fixtures/rules/README.md):

    when: stent                      # a yes/no question answered yes
    when: {stent: no}                # an answer equals a value
    when: {type: [metallic, plastic]}  # ... is one of several values (multi: includes one)
    when: {count: {min: 2, max: 4}}  # a number within a range
    when: {all: [...]} / {any: [...]} / {not: ...}
    when: [cond, cond]               # a list means all of them
    when: {episode_has: [F34]}       # the episode holds an OPCS-4 code in F34 (from elsewhere)
    when: {episode_has_diagnosis: [C61]}   # ... an ICD-10 code in C61

Evaluation is three-valued: ``None`` means "not known yet" (the question it
depends on is still to be answered), which lets the engine count the questions
that might still come and keep later answers until they are known to be stale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workbench.core.rules.codes import ICD10, OPCS4, in_scope, scope_entry
from workbench.core.rules.model import (
    AllOf,
    AnyOf,
    Condition,
    EpisodeCodes,
    EpisodeHas,
    InRange,
    Is,
    Not,
    Question,
)
from workbench.core.rules.nodes import NodeReader

COMBINATORS = ("all", "any", "not")
#: Tests of the codes already in the episode, by the classification they look at.
EPISODE_TESTS = {"episode_has": OPCS4, "episode_has_diagnosis": ICD10}


def parse_condition(reader: NodeReader, node: Any, known: Mapping[str, Question], what: str) -> Condition:
    """Build a condition; ``known`` holds the questions it may refer to (asked earlier)."""
    kind = reader.kind(node)
    if kind == "scalar":
        question = _known_question(reader, node, str(node.value).strip(), known, what)
        if question.kind != "yesno":
            raise reader.fail(
                node,
                f"{what}: '{question.id}' is a {question.kind} question; "
                f"write {{{question.id}: <value>}} to test its answer",
            )
        return Is(question.id, ("yes",))
    if kind == "list":
        return AllOf(tuple(parse_condition(reader, item, known, what) for item in node.value))
    if kind != "mapping":
        raise reader.fail(node, f"{what} should name a question or be a mapping such as {{question: value}}")
    parts: list[Condition] = []
    for key_node, value_node in node.value:
        key = str(key_node.value).strip()
        if key == "all":
            items = reader.seq(value_node, f"{what}: 'all'")
            parts.append(AllOf(tuple(parse_condition(reader, i, known, what) for i in items)))
        elif key == "any":
            items = reader.seq(value_node, f"{what}: 'any'")
            parts.append(AnyOf(tuple(parse_condition(reader, i, known, what) for i in items)))
        elif key == "not":
            parts.append(Not(parse_condition(reader, value_node, known, what)))
        elif key in EPISODE_TESTS:
            parts.append(_episode_test(reader, key, value_node, what))
        else:
            question = _known_question(reader, key_node, key, known, what)
            parts.append(_answer_test(reader, question, value_node, what))
    if not parts:
        raise reader.fail(node, f"{what} is empty")
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _episode_test(reader: NodeReader, key: str, node: Any, what: str) -> EpisodeHas:
    entries = []
    for item in reader.seq(node, f"{what}: '{key}'", allow_single=True):
        text = reader.text(item, f"{what}: '{key}'")
        entry = scope_entry(text)
        if entry is None:
            raise reader.fail(item, f"{what}: '{key}' takes chapters, categories or codes (e.g. F34, L or F34.1), "
                                    f"not '{text}'")
        entries.append(entry)
    if not entries:
        raise reader.fail(node, f"{what}: '{key}' needs at least one chapter, category or code")
    return EpisodeHas(EPISODE_TESTS[key], tuple(entries))


def episode_only(condition: Condition | None) -> bool:
    """Whether a condition tests only the episode's codes (what a position rule may test)."""
    if condition is None or isinstance(condition, EpisodeHas):
        return True
    if isinstance(condition, Not):
        return episode_only(condition.item)
    if isinstance(condition, AllOf | AnyOf):
        return all(episode_only(item) for item in condition.items)
    return False


def _known_question(reader: NodeReader, node: Any, name: str, known: Mapping[str, Question], what: str) -> Question:
    if name in known:
        return known[name]
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise reader.fail(
        node,
        f"{what}: '{name}' is not a question asked before this point{hint}; "
        "conditions can only use answers to earlier questions",
    )


def _answer_test(reader: NodeReader, question: Question, node: Any, what: str) -> Condition:
    if question.kind == "number":
        fields = reader.mapping(node, f"{what}: test of number '{question.id}'", ("min", "max"))
        low = reader.integer(fields["min"], "min") if "min" in fields else None
        high = reader.integer(fields["max"], "max") if "max" in fields else None
        return InRange(question.id, low, high)
    if question.kind == "code":
        raise reader.fail(node, f"{what}: conditions cannot test the code answer '{question.id}'")
    values = [reader.text(v, f"{what}: value for '{question.id}'") for v in reader.seq(node, what, allow_single=True)]
    allowed = [o.value for o in question.options]
    for value_node, value in zip(reader.seq(node, what, allow_single=True), values, strict=True):
        if value not in allowed:
            raise reader.fail(
                value_node,
                f"{what}: '{value}' is not an option of '{question.id}' (options: {', '.join(allowed)})",
            )
    return Is(question.id, tuple(values))


# ---------------------------------------------------------------- evaluation

Lookup = Callable[[str], tuple[str, object]]
"""Maps a question id to (status, answer); status is 'answered', 'skipped' or 'open'."""


def holds(condition: Condition | None, lookup: Lookup, episode: EpisodeCodes | None = None) -> bool | None:
    """True, False, or None when it depends on answers still to come.

    ``episode`` holds the codes an ``episode_has`` test looks at (none when not given)."""
    if condition is None:
        return True
    if isinstance(condition, EpisodeHas):
        codes = episode.codes(condition.classification) if episode is not None else ()
        return any(in_scope(code, condition.scope) for code in codes)
    if isinstance(condition, Is):
        status, answer = lookup(condition.question)
        if status == "skipped":
            return False
        if status != "answered":
            return None
        if isinstance(answer, list):
            return any(v in answer for v in condition.values)
        return answer in condition.values
    if isinstance(condition, InRange):
        status, answer = lookup(condition.question)
        if status == "skipped":
            return False
        if status != "answered" or not isinstance(answer, int):
            return None
        low_ok = condition.minimum is None or answer >= condition.minimum
        high_ok = condition.maximum is None or answer <= condition.maximum
        return low_ok and high_ok
    if isinstance(condition, Not):
        inner = holds(condition.item, lookup, episode)
        return None if inner is None else not inner
    results = [holds(item, lookup, episode) for item in condition.items]
    if isinstance(condition, AllOf):
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def describe(condition: Condition | None, prompts: Callable[[str], str],
             labels: Callable[[str, str], str] | None = None) -> str:
    """Plain words for a condition, used in the reasons shown beside codes.

    ``labels`` turns an answer value into the words the coder chose ("Drug-eluting"
    rather than "drug_eluting"); without it the values are shown as written in the pack.
    """
    if condition is None:
        return "always"
    if isinstance(condition, EpisodeHas):
        kind = "procedure" if condition.classification == OPCS4 else "diagnosis"
        return f"the episode already has a {kind} code in {', '.join(condition.scope)}"
    if isinstance(condition, Is):
        shown = [labels(condition.question, v) if labels else v for v in condition.values]
        return said_text(prompts(condition.question), " or ".join(shown))
    if isinstance(condition, InRange):
        low = "" if condition.minimum is None else f"at least {condition.minimum}"
        high = "" if condition.maximum is None else f"at most {condition.maximum}"
        return f"{prompts(condition.question)} {' and '.join(p for p in (low, high) if p)}"
    if isinstance(condition, Not):
        return f"not ({describe(condition.item, prompts, labels)})"
    joiner = "; " if isinstance(condition, AllOf) else "; or "
    return joiner.join(describe(i, prompts, labels) for i in condition.items)


def said_text(prompt: str, answer: str) -> str:
    """'Was a stent inserted? yes', 'Image control: Fluoroscopy'."""
    prompt = prompt.strip()
    return f"{prompt} {answer}" if prompt.endswith("?") else f"{prompt}: {answer}"


def referenced(condition: Condition | None) -> list[Is | InRange]:
    """Every answer test inside a condition (for the linter's 'leads nowhere' check)."""
    if condition is None or isinstance(condition, EpisodeHas):
        return []
    if isinstance(condition, Is | InRange):
        return [condition]
    if isinstance(condition, Not):
        return referenced(condition.item)
    out: list[Is | InRange] = []
    for item in condition.items:
        out.extend(referenced(item))
    return out


def episode_tests(condition: Condition | None) -> list[EpisodeHas]:
    """Every test of the episode's codes inside a condition (path enumeration tries each both ways)."""
    if condition is None or isinstance(condition, Is | InRange):
        return []
    if isinstance(condition, EpisodeHas):
        return [condition]
    if isinstance(condition, Not):
        return episode_tests(condition.item)
    return [test for item in condition.items for test in episode_tests(item)]
