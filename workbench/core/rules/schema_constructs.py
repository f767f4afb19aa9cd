"""Parsing the pack-level constructs added for the second library batch.

Supersession (`replaced_by`, `replaces`, `withdrawn`), `scope`, `positions`,
`case_by_case` and `population`. A mixin of :class:`workbench.core.rules.schema.PackBuilder`, which
provides the node reader (``self.r``), the questions parsed so far and ``self.code()``.
"""

from __future__ import annotations

from typing import Any

from workbench.core.lifecycle import Lifecycle, LifecycleError, lifecycle_from
from workbench.core.rules.codes import OPCS4, is_category, scope_entry
from workbench.core.rules.conditions import episode_only, parse_condition
from workbench.core.rules.model import Population, Position, Question, Scope
from workbench.core.rules.nodes import NodeReader, line_of

LIFECYCLE_KEYS = ("replaced_by", "replaces", "withdrawn")
CONSTRUCT_KEYS = (*LIFECYCLE_KEYS, "scope", "positions", "case_by_case", "population")
POSITION_KEYS = ("codes", "place", "after", "secondary_to", "when", "reason")
_WHERE = ("place", "after", "secondary_to")
SEXES = {"female": "female", "f": "female", "male": "male", "m": "male"}


class ConstructParser:
    r: NodeReader
    top: dict[str, Question]
    code_lines: list[tuple[str, str, int]]

    def plain(self, node: Any) -> object:
        """A node as plain data, every scalar as text (so 'May 2014' and 2014 read alike)."""
        kind = self.r.kind(node)
        if kind == "mapping":
            return {str(k.value): self.plain(v) for k, v in node.value}
        if kind == "list":
            return [self.plain(item) for item in node.value]
        return None if self.r.is_null(node) else str(node.value)

    def lifecycle(self, fields: dict) -> Lifecycle:
        data = {key: self.plain(fields[key]) for key in LIFECYCLE_KEYS if key in fields}
        try:
            return lifecycle_from(data)
        except LifecycleError as exc:
            key = str(exc).split(":", 1)[0]
            raise self.r.fail(fields.get(key) or next(iter(fields.values())), str(exc)) from None

    def scope(self, node: Any) -> Scope:
        f = self.r.mapping(node, "scope", ("covers", "when"), ("covers", "when"))
        when = parse_condition(self.r, f["when"], self.top, "scope: when")
        return Scope(self.r.text(f["covers"], "scope: covers"), when, line_of(node))

    def positions(self, node: Any) -> tuple[Position, ...]:
        out = []
        for item in self.r.seq(node, "positions"):
            f = self.r.mapping(item, "a position rule", POSITION_KEYS, ("codes", "reason"))
            if sum(key in f for key in _WHERE) != 1:
                raise self.r.fail(item, "a position rule needs exactly one of 'place' (e.g. 2), 'after' (straight "
                                        "after these codes) or 'secondary_to' (somewhere after them)")
            place = self.r.integer(f["place"], "positions: place") if "place" in f else None
            if place is not None and place < 1:
                raise self.r.fail(f["place"], "positions: place counts from 1")
            when = parse_condition(self.r, f["when"], self.top, "positions: when") if "when" in f else None
            if not episode_only(when):
                raise self.r.fail(f["when"], "positions: when can only test the episode's codes (episode_has), "
                                             "since a sequence is checked without the answers behind it")
            out.append(Position(self.entries(f, "codes"), place, self.entries(f, "after"),
                                self.r.text(f["reason"], "reason"), line_of(item),
                                self.entries(f, "secondary_to"), when))
        return tuple(out)

    def entries(self, fields: dict, key: str) -> tuple[str, ...]:
        """Chapters ('V'), categories ('V55.-') and codes, as a position rule names them."""
        if key not in fields:
            return ()
        out = []
        for node in self.r.seq(fields[key], f"positions: {key}", allow_single=True):
            text = self.r.text(node, f"positions: {key}")
            entry = scope_entry(text)
            if entry is None:
                raise self.r.fail(node, f"positions: {key}: '{text}' is not a chapter, category or code "
                                        "(e.g. V, V55.- or V55.1)")
            if not is_category(entry) and len(entry) > 1:   # a whole code: the linter asks the classification
                self.code_lines.append((OPCS4, entry, line_of(node)))
            out.append(entry)
        if not out:
            raise self.r.fail(fields[key], f"positions: {key} is empty")
        return tuple(out)

    def population(self, node: Any) -> Population:
        """`population: {who: infants, age: {max: 1}}` or `{who: women, sex: female}`."""
        f = self.r.mapping(node, "population", ("who", "age", "sex"), ("who",))
        low = high = None
        if "age" in f:
            age = self.r.mapping(f["age"], "population: age", ("min", "max"))
            low = self.r.integer(age["min"], "population: age: min") if "min" in age else None
            high = self.r.integer(age["max"], "population: age: max") if "max" in age else None
            if low is None and high is None:
                raise self.r.fail(f["age"], "population: age needs min or max (whole years)")
            if (low is not None and low < 0) or (low is not None and high is not None and high < low):
                raise self.r.fail(f["age"], "population: age should be a range of whole years (min <= max)")
        sex = None
        if "sex" in f:
            text = self.r.text(f["sex"], "population: sex").lower()
            if text not in SEXES:
                raise self.r.fail(f["sex"], f"population: sex should be female or male, not '{text}'")
            sex = SEXES[text]
        if low is None and high is None and sex is None:
            raise self.r.fail(node, "population needs an age range or a sex to check the episode against")
        return Population(self.r.text(f["who"], "population: who"), low, high, sex, line_of(node))
