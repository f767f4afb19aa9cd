"""Parsing the pack-level constructs added for the second library batch.

Supersession (`replaced_by`, `replaces`, `withdrawn`), `scope`, `positions` and
`case_by_case`. A mixin of :class:`workbench.core.rules.schema.PackBuilder`, which
provides the node reader (``self.r``), the questions parsed so far and ``self.code()``.
"""

from __future__ import annotations

from typing import Any

from workbench.core.lifecycle import Lifecycle, LifecycleError, lifecycle_from
from workbench.core.rules.codes import OPCS4
from workbench.core.rules.conditions import parse_condition
from workbench.core.rules.model import Position, Question, Scope
from workbench.core.rules.nodes import NodeReader, line_of

LIFECYCLE_KEYS = ("replaced_by", "replaces", "withdrawn")
CONSTRUCT_KEYS = (*LIFECYCLE_KEYS, "scope", "positions", "case_by_case")


class ConstructParser:
    r: NodeReader
    top: dict[str, Question]

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
            f = self.r.mapping(item, "a position rule", ("codes", "place", "after", "reason"), ("codes", "reason"))
            codes = tuple(self.code(n, OPCS4, "positions: codes", allow_category=True)
                          for n in self.r.seq(f["codes"], "positions: codes", allow_single=True))
            if ("place" in f) == ("after" in f):
                raise self.r.fail(item, "a position rule needs exactly one of 'place' (e.g. 2) or 'after' (codes)")
            place = self.r.integer(f["place"], "positions: place") if "place" in f else None
            if place is not None and place < 1:
                raise self.r.fail(f["place"], "positions: place counts from 1")
            after = tuple(self.code(n, OPCS4, "positions: after", allow_category=True)
                          for n in self.r.seq(f["after"], "positions: after", allow_single=True)) \
                if "after" in f else ()
            out.append(Position(codes, place, after, self.r.text(f["reason"], "reason"), line_of(item)))
        return tuple(out)
