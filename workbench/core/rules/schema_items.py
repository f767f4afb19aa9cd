"""Parsing the code entries of a pack (`procedures:` and `diagnoses:`).

A mixin of :class:`workbench.core.rules.schema.PackBuilder`, which provides the
node reader (``self.r``), the questions parsed so far and ``self.code()``.
"""

from __future__ import annotations

from typing import Any

from workbench.core.rules.codes import in_scope
from workbench.core.rules.conditions import parse_condition
from workbench.core.rules.model import Each, Fixed, FromAnswer, Group, Item, Question, Table
from workbench.core.rules.nodes import NodeReader, line_of

ITEM_KEYS = ("code", "codes", "from", "within", "default", "table", "rows", "each", "items",
             "when", "reason", "source", "mark")
MARKS = ("dagger", "asterisk")


class ItemParser:
    r: NodeReader
    top: dict[str, Question]
    groups: dict[str, Group]
    code_lines: list[tuple[str, str, int]]
    option_code_lines: dict[str, list[int]]

    def items(self, node: Any, classification: str, what: str, group: Group | None = None) -> tuple[Item, ...]:
        return tuple(self.item(n, classification, what, group) for n in self.r.seq(node, what))

    def known_for(self, group: Group | None) -> dict[str, Question]:
        known = dict(self.top)
        if group is not None:
            known.update({q.id: q for q in group.questions})
            known["another"] = group.another
        return known

    def item(self, node: Any, classification: str, what: str, group: Group | None) -> Item:
        r = self.r
        f = r.mapping(node, f"an entry in {what}", ITEM_KEYS)
        known = self.known_for(group)
        line = line_of(node)
        when = parse_condition(r, f["when"], known, f"{what}: when") if "when" in f else None
        reason = r.text(f["reason"], "reason") if "reason" in f else ""
        source = r.text(f["source"], "source", allow_empty=True) if "source" in f else ""
        mark = r.text(f["mark"], "mark") if "mark" in f else ""
        if mark and mark not in MARKS:
            raise r.fail(f["mark"], f"mark should be dagger or asterisk, not '{mark}'")
        shapes = [k for k in ("code", "from", "table", "each") if k in f or (k == "code" and "codes" in f)]
        if len(shapes) != 1:
            raise r.fail(node, f"each entry in {what} needs exactly one of: code (or codes), from, table, each")
        shape = shapes[0]
        allowed_extra = {"code": (), "from": ("within", "default"), "table": ("rows",), "each": ("items",)}[shape]
        for key in ("within", "default", "rows", "items"):
            if key in f and key not in allowed_extra:
                raise r.fail(f[key], f"'{key}' does not go with '{shape}' in {what}")
        if shape == "code":
            return Fixed(self.codes(f, classification, what), when, reason, source, mark, line)
        if shape == "from":
            return self.from_answer(f, known, classification, what, when, reason, source, mark, line)
        if shape == "table":
            return self.table(f, known, classification, what, when, reason, source, line)
        if when is not None or reason or mark:
            raise r.fail(node, f"{what}: put 'when', 'reason' and 'mark' on the entries inside 'each'")
        gid = r.text(f["each"], "each")
        if gid not in self.groups:
            raise r.fail(f["each"], f"{what}: 'each: {gid}' does not name a repeat group")
        if "items" not in f:
            raise r.fail(node, f"{what}: 'each: {gid}' needs 'items'")
        return Each(gid, self.items(f["items"], classification, what, self.groups[gid]), line)

    def from_answer(self, f, known, classification, what, when, reason, source, mark, line) -> FromAnswer:
        r = self.r
        qid = r.text(f["from"], "from")
        question = known.get(qid)
        if question is None:
            raise r.fail(f["from"], f"{what}: 'from: {qid}' does not name a question")
        if question.kind in ("yesno", "number"):
            raise r.fail(f["from"], f"{what}: 'from' needs a choice, multi or code question, not {question.kind}")
        if question.kind == "code" and question.classification != classification:
            raise r.fail(f["from"], f"{what}: question '{qid}' asks for {question.classification} codes")
        for index in self.option_code_lines.get((question.group or "") + "." + qid, []):
            _, code, code_line = self.code_lines[index]
            self.code_lines[index] = (classification, code, code_line)
        within = tuple(self.code(n, classification, "within", allow_category=True)
                       for n in r.seq(f["within"], "within", allow_single=True)) if "within" in f else ()
        for option in question.options:
            for code in option.codes:
                if within and not in_scope(code, within):
                    raise r.fail(option.line or f["from"],
                                 f"option '{option.value}' of '{qid}' gives {code}, outside {', '.join(within)}")
        if question.kind in ("choice", "multi") and not any(o.codes for o in question.options):
            raise r.fail(f["from"], f"{what}: no option of '{qid}' carries a code")
        default = self.code(f["default"], classification, "default") if "default" in f else None
        if default and within and not in_scope(default, within):
            raise r.fail(f["default"], f"default {default} is outside {', '.join(within)}")
        return FromAnswer(qid, within, default, when, reason, source, mark, line)

    def table(self, f, known, classification, what, when, reason, source, line) -> Table:
        r = self.r
        keys = tuple(r.text(n, "table") for n in r.seq(f["table"], "table", allow_single=True))
        if not keys:
            raise r.fail(f["table"], f"{what}: 'table' should name the question(s) whose answers pick the code")
        for key, key_node in zip(keys, r.seq(f["table"], "table", allow_single=True), strict=True):
            if key not in known or known[key].kind not in ("choice", "yesno"):
                raise r.fail(key_node, f"{what}: table key '{key}' should name an earlier choice or yesno question")
        if "rows" not in f:
            raise r.fail(f["table"], f"{what}: a table needs 'rows'")
        return Table(keys, self.rows(f["rows"], keys, known, classification), when, reason, source, line)

    def rows(self, node: Any, keys: tuple[str, ...], known: dict, classification: str) -> dict:
        question = known[keys[0]]
        allowed = tuple(o.value for o in question.options)
        out: dict = {}
        for key_node, value_node in getattr(node, "value", []) if self.r.kind(node) == "mapping" else []:
            value = str(key_node.value)
            if value not in allowed:
                raise self.r.fail(key_node, NodeReader.unknown_key_message(value, f"rows for '{keys[0]}'", allowed))
            if self.r.kind(value_node) == "mapping":
                if len(keys) < 2:
                    raise self.r.fail(value_node, f"rows for '{keys[0]}': '{value}' should give a code")
                out[value] = self.rows(value_node, keys[1:], known, classification)
            else:
                out[value] = self.code(value_node, classification, f"rows: '{value}'")
        if self.r.kind(node) != "mapping" or not out:
            raise self.r.fail(node, f"rows for '{keys[0]}' should map its option values to codes")
        return out

