"""Build a :class:`Pack` from a composed YAML node tree, checking every key and reference.

The first problem found raises :class:`PackError` with the line of the offending
node and a sentence a coding manager can act on.
"""

from __future__ import annotations

import re
from typing import Any

from workbench.core.rules.codes import ICD10, OPCS4, is_category, normalise_code, normalise_complete
from workbench.core.rules.conditions import parse_condition
from workbench.core.rules.model import (
    KINDS,
    Exclusion,
    Forbidden,
    Group,
    Note,
    Option,
    Pack,
    Question,
    Suppression,
)
from workbench.core.rules.nodes import NodeReader, line_of
from workbench.core.rules.schema_constructs import CONSTRUCT_KEYS, ConstructParser
from workbench.core.rules.schema_items import ItemParser

PACK_KEYS = (
    "id", "guidance", "title", "version", "status", "partial", "partial_reason", "editions",
    "source_url", "source", "questions", "procedures", "diagnoses", "notes", "suppress",
    "exclusions", "forbidden", "requires_diagnosis", "site_codes", "snomed", *CONSTRUCT_KEYS,
)
QUESTION_KEYS = (
    "id", "kind", "prompt", "help", "source", "options", "default", "when", "min", "max",
    "scope", "examples", "several", "classification",
)
GROUP_KEYS = ("group", "when", "max", "distinct", "another", "questions", "item")
ANOTHER_KEYS = ("prompt", "help", "source", "default")
OPTION_KEYS = ("value", "label", "help", "code", "codes", "reason", "preferred")
STATUSES = ("draft", "approved")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_YESNO = (Option("yes", "Yes"), Option("no", "No"))


class PackBuilder(ItemParser, ConstructParser):
    def __init__(self, path: str):
        self.r = NodeReader(path)
        self.path = path
        self.code_lines: list[tuple[str, str, int]] = []
        self.top: dict[str, Question] = {}          # top-level questions by id
        self.groups: dict[str, Group] = {}
        # Where each question's option codes sit in code_lines: a `from:` entry in the
        # diagnoses list re-labels them ICD-10 (options do not know which list uses them).
        self.option_code_lines: dict[str, list[int]] = {}

    # ------------------------------------------------------------ pack

    def build(self, root: Any) -> Pack:
        r = self.r
        f = r.mapping(root, "the pack", PACK_KEYS, ("id", "guidance", "title", "version", "status"))
        if "procedures" not in f and "diagnoses" not in f and "case_by_case" not in f:
            raise r.fail(root, "the pack has neither 'procedures' nor 'diagnoses': it would code nothing "
                               "(a guidance with no fixed codes says so with 'case_by_case')")
        status = r.text(f["status"], "status")
        if status not in STATUSES:
            raise r.fail(f["status"], f"status should be draft or approved, not '{status}'")
        partial = r.boolean(f["partial"], "partial") if "partial" in f else False
        partial_reason = r.text(f["partial_reason"], "partial_reason") if "partial_reason" in f else ""
        if partial and not partial_reason:
            raise r.fail(f["partial"], "a partial pack needs 'partial_reason' saying what the source left out")
        questions = self.questions(f["questions"]) if "questions" in f else ()
        procedures = self.items(f.get("procedures"), OPCS4, "procedures") if "procedures" in f else ()
        diagnoses = self.items(f.get("diagnoses"), ICD10, "diagnoses") if "diagnoses" in f else ()
        return Pack(
            id=r.text(f["id"], "id"),
            guidance_id=r.text(f["guidance"], "guidance"),
            title=r.text(f["title"], "title"),
            version=r.text(f["version"], "version"),
            status=status,
            partial=partial,
            partial_reason=partial_reason,
            editions=self.editions(f["editions"]) if "editions" in f else {},
            source_url=r.text(f["source_url"], "source_url") if "source_url" in f else "",
            source=r.text(f["source"], "source") if "source" in f else "",
            questions=questions,
            procedures=procedures,
            diagnoses=diagnoses,
            notes=self.notes(f["notes"]) if "notes" in f else (),
            suppressions=self.suppressions(f["suppress"]) if "suppress" in f else (),
            exclusions=self.exclusions(f["exclusions"]) if "exclusions" in f else (),
            forbidden=self.forbidden(f["forbidden"]) if "forbidden" in f else (),
            requires_diagnosis=r.boolean(f["requires_diagnosis"], "requires_diagnosis")
            if "requires_diagnosis" in f else False,
            site_codes=tuple(self.code(n, OPCS4, "site_codes") for n in r.seq(f["site_codes"], "site_codes"))
            if "site_codes" in f else (),
            snomed=self.snomed(f["snomed"]) if "snomed" in f else (),
            lifecycle=self.lifecycle(f),
            scope=self.scope(f["scope"]) if "scope" in f else None,
            positions=self.positions(f["positions"]) if "positions" in f else (),
            population=self.population(f["population"]) if "population" in f else None,
            case_by_case=r.text(f["case_by_case"], "case_by_case") if "case_by_case" in f else "",
            path=self.path,
            code_lines=tuple(self.code_lines),
        )

    def editions(self, node: Any) -> dict[str, str]:
        f = self.r.mapping(node, "editions", (OPCS4, ICD10))
        return {k: self.r.text(v, f"editions: {k}") for k, v in f.items()}

    def snomed(self, node: Any) -> tuple[dict, ...]:
        out = []
        for item in self.r.seq(node, "snomed"):
            f = self.r.mapping(item, "a SNOMED CT concept", ("concept_id", "term", "type"), ("concept_id", "term"))
            out.append({k: self.r.text(v, f"snomed: {k}") for k, v in f.items()})
        return tuple(out)

    # ------------------------------------------------------------ codes

    def code(self, node: Any, classification: str, what: str, allow_category: bool = False) -> str:
        text = self.r.text(node, what)
        # A bare three-character code ("I10") may be complete: the linter asks the classification.
        code = normalise_code(text) if allow_category else normalise_complete(text)
        if code is None:
            raise self.r.fail(node, f"{what}: '{text}' is not a code (expected a letter, two digits, a dot and a digit, e.g. L80.4)")
        if is_category(code) and not allow_category:
            raise self.r.fail(
                node,
                f"{what}: '{text}' is a category, not a code; use 'from:' with a question whose "
                "options give the 4th character (or a 'default:' such as .9)",
            )
        if not is_category(code):
            self.code_lines.append((classification, code, line_of(node)))
        return code

    def codes(self, fields: dict, classification: str, what: str) -> tuple[str, ...]:
        if "code" in fields and "codes" in fields:
            raise self.r.fail(fields["codes"], f"{what}: give either 'code' or 'codes', not both")
        if "code" in fields:
            return (self.code(fields["code"], classification, what),)
        if "codes" in fields:
            nodes = self.r.seq(fields["codes"], f"{what}: codes", allow_single=True)
            if not nodes:
                raise self.r.fail(fields["codes"], f"{what}: 'codes' is empty")
            return tuple(self.code(n, classification, what) for n in nodes)
        return ()

    # ------------------------------------------------------------ questions

    def questions(self, node: Any) -> tuple[Question | Group, ...]:
        out: list[Question | Group] = []
        for item in self.r.seq(node, "questions"):
            if self.r.kind(item) == "mapping" and any(str(k.value) == "group" for k, _ in item.value):
                group = self.group(item)
                self.groups[group.id] = group
                out.append(group)
            else:
                question = self.question(item, self.top, None)
                self.top[question.id] = question
                out.append(question)
        return tuple(out)

    def new_id(self, node: Any, what: str, taken: dict) -> str:
        ident = self.r.text(node, what)
        if not _ID.match(ident):
            raise self.r.fail(node, f"{what} '{ident}' should be lower-case letters, digits and _ (no spaces or dots)")
        if ident in taken or ident in self.groups or ident in self.top:
            raise self.r.fail(node, f"{what} '{ident}' is used twice")
        return ident

    def question(self, node: Any, known: dict[str, Question], group: str | None) -> Question:
        r = self.r
        f = r.mapping(node, "a question", QUESTION_KEYS, ("id", "kind", "prompt"))
        qid = self.new_id(f["id"], "question id", known)
        what = f"question '{qid}'"
        kind = r.text(f["kind"], f"{what}: kind")
        if kind not in KINDS:
            raise r.fail(f["kind"], f"{what}: kind should be one of {', '.join(KINDS)}, not '{kind}'")
        when = parse_condition(r, f["when"], known, f"{what}: when") if "when" in f else None
        classification = r.text(f["classification"], "classification") if "classification" in f else OPCS4
        if classification not in (OPCS4, ICD10):
            raise r.fail(f["classification"], f"{what}: classification should be opcs4 or icd10")
        first = len(self.code_lines)
        options = self.options(f, kind, what, classification)
        self.option_code_lines[(group or "") + "." + qid] = list(range(first, len(self.code_lines)))
        minimum = r.integer(f["min"], f"{what}: min") if "min" in f else None
        maximum = r.integer(f["max"], f"{what}: max") if "max" in f else None
        if kind != "number" and (minimum is not None or maximum is not None):
            raise r.fail(f.get("min") or f["max"], f"{what}: min and max are only for number questions")
        scope: list[str] = []
        if kind == "code":
            if "scope" not in f:
                raise r.fail(node, f"{what}: a code question needs 'scope' (e.g. [K] or [M02.-])")
            scope = [r.text(n, f"{what}: scope").upper() for n in r.seq(f["scope"], "scope", allow_single=True)]
        elif "scope" in f:
            raise r.fail(f["scope"], f"{what}: scope is only for code questions")
        question = Question(
            id=qid, kind=kind, prompt=r.text(f["prompt"], f"{what}: prompt"),
            help=r.text(f["help"], f"{what}: help", allow_empty=True) if "help" in f else "",
            source=r.text(f["source"], f"{what}: source", allow_empty=True) if "source" in f else "",
            options=options, default=None, minimum=minimum, maximum=maximum, code_scope=scope,
            several=r.boolean(f["several"], f"{what}: several") if "several" in f else False,
            classification=classification, group=group, when=when, line=line_of(node),
        )
        examples = self.examples(f, question, what)
        default = self.default(f, question, what)
        from dataclasses import replace

        return replace(question, examples=examples, default=default)

    def options(self, f: dict, kind: str, what: str, classification: str) -> list[Option]:
        r = self.r
        if kind == "yesno":
            if "options" in f:
                raise r.fail(f["options"], f"{what}: a yesno question has the options yes and no already")
            return list(_YESNO)
        if kind not in ("choice", "multi"):
            if "options" in f:
                raise r.fail(f["options"], f"{what}: only choice and multi questions have options")
            return []
        if "options" not in f:
            raise r.fail(f["kind"], f"{what}: a {kind} question needs 'options'")
        out: list[Option] = []
        for node in r.seq(f["options"], f"{what}: options"):
            o = r.mapping(node, f"{what}: an option", OPTION_KEYS, ("value", "label"))
            value = r.text(o["value"], f"{what}: option value")
            if any(existing.value == value for existing in out):
                raise r.fail(o["value"], f"{what}: option '{value}' is listed twice")
            out.append(Option(
                value=value, label=r.text(o["label"], f"{what}: option label"),
                help=r.text(o["help"], "help", allow_empty=True) if "help" in o else "",
                codes=self.codes(o, classification, f"{what}: option '{value}'"),
                reason=r.text(o["reason"], "reason") if "reason" in o else "",
                preferred=r.boolean(o["preferred"], "preferred") if "preferred" in o else False,
                line=line_of(node),
            ))
        if len(out) < 2:
            raise r.fail(f["options"], f"{what}: a {kind} question needs at least two options")
        # The guidance's preferred option is shown first (its file order is kept otherwise).
        return sorted(out, key=lambda option: not option.preferred)

    def default(self, f: dict, question: Question, what: str) -> str | None:
        if "default" not in f:
            return None
        value = self.r.text(f["default"], f"{what}: default")
        if any(o.preferred for o in question.options):
            raise self.r.fail(f["default"], f"{what}: a question with a preferred option has no default: "
                                            "the coder must choose, the preference is only shown")
        if question.kind in ("yesno", "choice"):
            if question.option(value) is None:
                allowed = ", ".join(o.value for o in question.options)
                raise self.r.fail(f["default"], f"{what}: default '{value}' is not an option ({allowed})")
            return value
        raise self.r.fail(f["default"], f"{what}: only yesno and choice questions can have a default")

    def examples(self, f: dict, question: Question, what: str) -> list[object]:
        from workbench.core.rules.answers import check_answer
        from workbench.core.rules.model import AnswerError

        if question.kind not in ("number", "code"):
            if "examples" in f:
                raise self.r.fail(f["examples"], f"{what}: examples are only for number and code questions")
            return []
        if "examples" not in f:
            if question.kind == "code":
                raise self.r.fail(f["kind"], f"{what}: a code question needs 'examples' (codes used to test every path)")
            if question.minimum is None or question.maximum is None:
                raise self.r.fail(f["kind"], f"{what}: a number question needs 'examples' or both 'min' and 'max'")
            return sorted({question.minimum, (question.minimum + question.maximum) // 2, question.maximum})
        out: list[object] = []
        for node in self.r.seq(f["examples"], f"{what}: examples", allow_single=True):
            raw = self.r.text(node, f"{what}: example")
            try:
                value = check_answer(question, raw)
            except AnswerError as exc:
                raise self.r.fail(node, f"{what}: example '{raw}': {exc}") from None
            if question.kind == "code":
                # One code per example; several-code questions also get all examples together.
                value = value[0] if isinstance(value, list) else value
                self.code_lines.append((question.classification, str(value), line_of(node)))
            out.append(value)
        return out

    def group(self, node: Any) -> Group:
        r = self.r
        f = r.mapping(node, "a repeat group", GROUP_KEYS, ("group", "questions", "another"))
        gid = self.new_id(f["group"], "group id", {})
        when = parse_condition(r, f["when"], self.top, f"group '{gid}': when") if "when" in f else None
        local: dict[str, Question] = {}
        for item in r.seq(f["questions"], f"group '{gid}': questions"):
            question = self.question(item, {**self.top, **local}, gid)
            local[question.id] = question
        if not local:
            raise r.fail(f["questions"], f"group '{gid}' has no questions")
        a = r.mapping(f["another"], f"group '{gid}': another", ANOTHER_KEYS, ("prompt",))
        another = Question(
            id="another", kind="yesno", prompt=r.text(a["prompt"], "another: prompt"),
            help=r.text(a["help"], "help", allow_empty=True) if "help" in a else "",
            source=r.text(a["source"], "source", allow_empty=True) if "source" in a else "",
            options=list(_YESNO), default=None, group=gid, line=line_of(f["another"]),
        )
        if "default" in a:
            another = self.with_default(another, a["default"])
        maximum = r.integer(f["max"], f"group '{gid}': max") if "max" in f else 3
        if not 1 <= maximum <= 9:
            raise r.fail(f["max"], f"group '{gid}': max should be between 1 and 9")
        # `distinct` is optional: without it, an option chosen before is offered again.
        distinct_nodes = r.seq(f["distinct"], "distinct", allow_single=True) if "distinct" in f else []
        distinct = tuple(r.text(n, "distinct") for n in distinct_nodes)
        for name, dnode in zip(distinct, distinct_nodes, strict=True):
            if name not in local or local[name].kind != "choice":
                raise r.fail(dnode, f"group '{gid}': distinct '{name}' should name a choice question of the group")
        item = r.text(f["item"], f"group '{gid}': item") if "item" in f else ""
        return Group(gid, tuple(local.values()), another, maximum, distinct, when, line_of(node), item)

    def with_default(self, question: Question, node: Any) -> Question:
        from dataclasses import replace

        value = self.r.text(node, "default")
        if question.option(value) is None:
            raise self.r.fail(node, f"default should be yes or no, not '{value}'")
        return replace(question, default=value)

    # ------------------------------------------------------------ notes and cross-code rules

    def notes(self, node: Any) -> tuple[Note, ...]:
        out = []
        for item in self.r.seq(node, "notes"):
            if self.r.kind(item) == "scalar":
                out.append(Note(self.r.text(item, "note"), None, line_of(item)))
                continue
            f = self.r.mapping(item, "a note", ("text", "when"), ("text",))
            when = parse_condition(self.r, f["when"], self.top, "note: when") if "when" in f else None
            out.append(Note(self.r.text(f["text"], "note text"), when, line_of(item)))
        return tuple(out)

    def code_list(self, node: Any, what: str) -> tuple[str, ...]:
        nodes = self.r.seq(node, what, allow_single=True)
        if not nodes:
            raise self.r.fail(node, f"{what} is empty")
        # Suppressions, exclusions and forbidden codes are procedure (OPCS-4) rules.
        return tuple(self.code(n, OPCS4, what) for n in nodes)

    def suppressions(self, node: Any) -> tuple[Suppression, ...]:
        out = []
        for item in self.r.seq(node, "suppress"):
            f = self.r.mapping(item, "a suppress rule", ("code", "by", "reason"), ("code", "by", "reason"))
            out.append(Suppression(self.code(f["code"], OPCS4, "suppress"), self.code_list(f["by"], "by"),
                                   self.r.text(f["reason"], "reason"), line_of(item)))
        return tuple(out)

    def exclusions(self, node: Any) -> tuple[Exclusion, ...]:
        out = []
        for item in self.r.seq(node, "exclusions"):
            f = self.r.mapping(item, "an exclusion", ("code", "with", "reason"), ("code", "with", "reason"))
            out.append(Exclusion(self.code(f["code"], OPCS4, "exclusions"), self.code_list(f["with"], "with"),
                                 self.r.text(f["reason"], "reason"), line_of(item)))
        return tuple(out)

    def forbidden(self, node: Any) -> tuple[Forbidden, ...]:
        out = []
        for item in self.r.seq(node, "forbidden"):
            f = self.r.mapping(item, "a forbidden code", ("code", "reason"), ("code", "reason"))
            out.append(Forbidden(self.code(f["code"], OPCS4, "forbidden"), self.r.text(f["reason"], "reason"),
                                 line_of(item)))
        return tuple(out)
