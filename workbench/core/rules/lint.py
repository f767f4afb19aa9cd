"""The rule-pack linter: schema, codes, reachability, dead options and every answer path.

Never raises for any file: whatever goes wrong becomes a message with a line number.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from workbench.core.option_keys import key_problems
from workbench.core.rules.codes import CodeCatalog, is_category, judge_code
from workbench.core.rules.conditions import referenced
from workbench.core.rules.edits import run_edits
from workbench.core.rules.lint_cache import LintMessage, expand
from workbench.core.rules.loader import load_pack
from workbench.core.rules.model import Each, Pack, PackError, Question, Table
from workbench.core.rules.pack_model import model_of
from workbench.core.rules.paths import AnswerPath, StuckPath, TooManyPaths, enumerate_paths

_NAMES = {"opcs4": "OPCS-4", "icd10": "ICD-10"}


def lint_files(paths: list[Path] | None, catalog: CodeCatalog | None) -> tuple[int, list[LintMessage]]:
    """(number of files checked, messages); folders are expanded to their *.yaml packs."""
    files = expand(paths)
    messages: list[LintMessage] = []
    for file in files:
        messages.extend(lint_file(file, catalog))
    return len(files), messages


def lint_file(path: Path, catalog: CodeCatalog | None) -> list[LintMessage]:
    try:
        pack = load_pack(path)
    except PackError as exc:
        return [LintMessage(exc.path, exc.line, "error", exc.message)]
    try:
        return lint_pack(pack, catalog)
    except Exception as exc:  # the linter must report, never crash, whatever the pack holds
        return [LintMessage(str(path), 1, "error", f"the pack could not be checked ({type(exc).__name__}: {exc})")]


def lint_pack(pack: Pack, catalog: CodeCatalog | None) -> list[LintMessage]:
    out: list[LintMessage] = []

    def say(line: int, severity: str, message: str) -> None:
        out.append(LintMessage(pack.path, line, severity, message))

    if catalog is not None:
        for classification, code, line in pack.code_lines:
            verdict = judge_code(catalog, classification, code)
            if verdict.status == "unknown":
                say(line, "error", f"{_NAMES[classification]} {code} is not in the loaded classification")
            elif not verdict.codable:
                say(line, "error", verdict.message)
            elif verdict.note:
                say(line, "warning", f"{verdict.display()}: {verdict.note} (retired or rare: check it)")
    for question in pack.all_questions():
        if not question.source and question.template_id != "another":
            say(question.line, "warning", f"question '{question.id}' has no source passage")
    try:
        paths = enumerate_paths(pack)   # no titles: the edits below ask the catalog what they need
    except TooManyPaths as exc:
        say(1, "error", f"{exc}: split the pack or simplify its questions")
        return out
    except StuckPath as exc:
        say(1, "error", f"an answer path cannot go on: {exc}")
        return out
    if not paths:
        say(1, "error", "no answer path completes")
        return out
    model_of(pack, paths)   # the pack-aware edits below judge each path against a model of these paths
    _reachability(pack, paths, say)
    _dead_options(pack, paths, say)
    _defaults_deciding_main_codes(pack, paths, say)
    _option_keys(pack, say)
    _path_edits(pack, paths, catalog, say)
    if pack.scope is not None and not any(p.evaluation.handover for p in paths):
        say(pack.scope.line, "warning", "every answer path is inside the scope: the scope rules out nothing")
    return out


def _reachability(pack: Pack, paths: list[AnswerPath], say) -> None:
    asked = {(q.group, q.template_id) for p in paths for q, _ in p.evaluation.answered}
    for question in pack.all_questions():
        if question.template_id == "another" and _group_max(pack, question.group) == 1:
            continue
        if (question.group, question.template_id) not in asked:
            say(question.line, "error", f"question '{question.template_id}' is never asked on any answer path")


def _group_max(pack: Pack, group_id: str | None) -> int:
    return next((g.maximum for g in pack.questions if getattr(g, "id", None) == group_id
                 and not isinstance(g, Question)), 0)


def _dead_options(pack: Pack, paths: list[AnswerPath], say) -> None:
    """An option is dead when another option of the same question gives the same outcome on every path."""
    outcomes: dict[str, dict[str, dict[tuple, tuple]]] = defaultdict(lambda: defaultdict(dict))
    questions: dict[str, Question] = {}
    for path in paths:
        result = path.evaluation
        # Built once per path; each question's "other answers" and "other questions" are slices of them.
        answers = tuple(sorted((k, _frozen(v)) for k, v in result.answers.items()))
        where = {k: i for i, (k, _) in enumerate(answers)}
        asked = tuple(q.id for q, _ in result.answered)
        codes = (tuple(e.code for e in result.procedures), tuple(e.code for e in result.diagnoses),
                 tuple(result.notes), path.context)
        for index, (question, value) in enumerate(result.answered):
            if question.kind not in ("yesno", "choice"):
                continue
            questions[question.id] = question
            at = where[question.id]
            others = answers[:at] + answers[at + 1:]
            outcomes[question.id][str(value)][others] = (*codes, asked[:index] + asked[index + 1:])
    reported: set[tuple] = set()
    for question_id, by_value in outcomes.items():
        question = questions[question_id]
        values = list(by_value)
        for i, value in enumerate(values):
            twin = next((v for v in values[:i] + values[i + 1:] if by_value[v] == by_value[value]), None)
            key = (question.group, question.template_id, value)
            if twin is None or key in reported:
                continue
            reported.add(key)
            option = question.option(value)
            say(option.line if option and option.line else question.line, "error",
                f"option '{value}' of '{question.template_id}' changes nothing: every path gives the same "
                f"codes, questions and notes as '{twin}'")
    _multi_options(pack, say)


def _defaults_deciding_main_codes(pack: Pack, paths: list[AnswerPath], say) -> None:
    """A default (what Enter takes) on a question whose answer changes the main procedure code or the
    primary diagnosis: a coder pressing Enter would pick the episode's main code unread."""
    # (question, answers before it) -> answer -> the (first procedure, first diagnosis) pairs it leads to
    seen: dict[tuple, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    questions: dict[tuple, Question] = {}
    for path in paths:
        result = path.evaluation
        main = (result.procedures[0].code if result.procedures else None,
                result.diagnoses[0].code if result.diagnoses else None)
        before: list[tuple[str, object]] = [("@episode", path.context)]
        for question, value in result.answered:
            if question.default is not None:
                which = (question.group, question.template_id)
                questions[which] = question
                seen[(which, tuple(before))][str(value)].add(main)
            before.append((question.id, _frozen(value)))
    reported: set[tuple] = set()
    for (which, _), by_value in seen.items():
        question = questions[which]
        chosen = by_value.get(question.default)
        others = [v for v in by_value if v != question.default and by_value[v] != chosen]
        if chosen is None or not others or which in reported:
            continue
        reported.add(which)
        changed = []
        for side, name in ((0, "main procedure"), (1, "primary diagnosis")):
            firsts = {v: {pair[side] for pair in pairs} for v, pairs in by_value.items()}
            if len({frozenset(f) for f in firsts.values()}) > 1:
                codes = sorted({c or "none" for f in firsts.values() for c in f})
                changed.append(f"the {name} ({' or '.join(codes)})")
        say(question.line, "error",
            f"question '{question.template_id}' has a default ('{question.default}') but its answer changes "
            f"{' and '.join(changed)}: Enter must never choose the main code; remove the default")


def _option_keys(pack: Pack, say) -> None:
    """The same answer has the same key in every pack (image control, laterality, not stated)."""
    for question in pack.all_questions():
        if question.kind in ("choice", "multi"):
            for problem in key_problems(question):
                say(question.line, "error", problem)


def _multi_options(pack: Pack, say) -> None:
    used: set[tuple[str, str]] = set()
    items = list(pack.procedures) + list(pack.diagnoses)
    conditions = [q.when for q in pack.all_questions()] + [n.when for n in pack.notes]
    while items:
        item = items.pop()
        if isinstance(item, Each):
            items.extend(item.items)
            continue
        conditions.append(item.when)
        if isinstance(item, Table):
            used.update((key, value) for key in item.keys for value in _row_values(item.rows))
    for condition in conditions:
        for test in referenced(condition):
            used.update((test.question, v) for v in getattr(test, "values", ()))
    for question in pack.all_questions():
        if question.kind != "multi":
            continue
        for option in question.options:
            if not option.codes and (question.id, option.value) not in used:
                say(option.line, "error", f"option '{option.value}' of '{question.id}' gives no code "
                                          "and no condition uses it")


def _row_values(rows: dict) -> list[str]:
    out = list(rows)
    for value in rows.values():
        if isinstance(value, dict):
            out.extend(_row_values(value))
    return out


def _frozen(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _path_edits(pack: Pack, paths: list[AnswerPath], catalog: CodeCatalog | None, say) -> None:
    line = _codes_line(pack)
    # Grouped by problem kind, so one mistake gives one message: how many answer paths fail it
    # (a path failing twice counts once) and how many findings there are, with an example.
    problems: dict[tuple[str, str, str], list[tuple[int, str, dict]]] = defaultdict(list)
    checked: dict[tuple, list] = {}     # many paths give the same sequence: check each sequence once
    for index, path in enumerate(paths):
        if path.evaluation.handover:
            continue  # outside the pack's scope: nothing is coded on purpose
        for code in path.procedures + path.diagnoses:
            if is_category(code):
                problems[("error", "leave", f"the placeholder {code} unresolved")].append((index, "", path.answers))
        sequence = (tuple(path.procedures), tuple(path.diagnoses))
        if sequence not in checked:
            checked[sequence] = run_edits(path.procedures, path.diagnoses, catalog, pack)
        for result in checked[sequence]:
            if result.id in ("unknown-code", "rarely-recorded"):
                continue  # already reported at the line that names the code
            if result.id == "missing-procedure":
                continue  # a branch the guidance gives no codes for (partial packs): the coder adds them
            problems[(result.severity, "fail", f"edit {result.id}")].append((index, result.message, path.answers))
    for (severity, verb, what), examples in problems.items():
        _, detail, answers = examples[0]
        failing = len({index for index, _, _ in examples})
        count = f"{failing} of {len(paths)} answer path{'s' if len(paths) != 1 else ''}"
        verb = verb if failing != 1 else verb + "s"
        findings = f" ({len(examples)} findings)" if len(examples) != failing else ""
        detail = f": {detail}" if detail else ""
        say(line, severity, f"{count} {verb} {what}{findings}{detail} (e.g. answers {_answers_text(answers)})")


def _codes_line(pack: Pack) -> int:
    for items in (pack.procedures, pack.diagnoses):
        if items:
            return items[0].line
    return 1


def _answers_text(answers: dict) -> str:
    if not answers:
        return "none"
    return ", ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in answers.items())

