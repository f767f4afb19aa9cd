"""Reading YAML node trees with line numbers and plain error messages.

The pack schema works on PyYAML's composed nodes, not on plain Python values,
for two reasons: every node keeps ``start_mark`` (so any error can name
``file:line``), and scalars keep their raw text (so ``no`` stays the answer
"no" instead of YAML 1.1's ``False``).
"""

from __future__ import annotations

import difflib
from typing import Any

from workbench.core.rules.model import PackError

NULL_TAG = "tag:yaml.org,2002:null"


def line_of(node: Any) -> int:
    mark = getattr(node, "start_mark", None)
    return (mark.line + 1) if mark is not None else 1


class NodeReader:
    """Typed access to nodes; every failure raises :class:`PackError` at the node's line."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, node: Any, message: str) -> PackError:
        return PackError(self.path, line_of(node), message)

    # ------------------------------------------------------------ shapes

    def kind(self, node: Any) -> str:
        name = type(node).__name__
        if name == "ScalarNode":
            return "null" if self.is_null(node) else "scalar"
        return {"MappingNode": "mapping", "SequenceNode": "list"}.get(name, "unknown")

    def is_null(self, node: Any) -> bool:
        return type(node).__name__ == "ScalarNode" and node.tag == NULL_TAG

    def mapping(
        self,
        node: Any,
        what: str,
        allowed: tuple[str, ...],
        required: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """The keys of a mapping node, checked against ``allowed`` with 'did you mean'."""
        if self.kind(node) != "mapping":
            raise self.fail(node, f"{what} should be a mapping of 'key: value' lines, not {self.describe(node)}")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if self.kind(key_node) != "scalar":
                raise self.fail(key_node, f"{what}: keys must be plain words")
            key = str(key_node.value)
            if key not in allowed:
                raise self.fail(key_node, self.unknown_key_message(key, what, allowed))
            if key in out:
                raise self.fail(key_node, f"{what}: '{key}' is given twice")
            out[key] = value_node
        missing = [k for k in required if k not in out]
        if missing:
            raise self.fail(node, f"{what} is missing '{missing[0]}'")
        return out

    @staticmethod
    def unknown_key_message(key: str, what: str, allowed: tuple[str, ...]) -> str:
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(allowed)})"
        return f"{what}: unknown key '{key}'{hint}"

    def seq(self, node: Any, what: str, allow_single: bool = False) -> list[Any]:
        kind = self.kind(node)
        if kind == "list":
            return list(node.value)
        if kind == "null":
            return []
        if allow_single and kind == "scalar":
            return [node]
        raise self.fail(node, f"{what} should be a list (lines starting with '- '), not {self.describe(node)}")

    def text(self, node: Any, what: str, allow_empty: bool = False) -> str:
        kind = self.kind(node)
        if kind == "null":
            if allow_empty:
                return ""
            raise self.fail(node, f"{what} is empty")
        if kind != "scalar":
            raise self.fail(node, f"{what} should be text, not {self.describe(node)}")
        value = str(node.value).strip()
        if not value and not allow_empty:
            raise self.fail(node, f"{what} is empty")
        return value

    def boolean(self, node: Any, what: str) -> bool:
        value = self.text(node, what).lower()
        if value in ("yes", "true", "on"):
            return True
        if value in ("no", "false", "off"):
            return False
        raise self.fail(node, f"{what} should be yes or no, not '{value}'")

    def integer(self, node: Any, what: str) -> int:
        value = self.text(node, what)
        try:
            return int(value)
        except ValueError:
            raise self.fail(node, f"{what} should be a whole number, not '{value}'") from None

    def describe(self, node: Any) -> str:
        kind = self.kind(node)
        if kind == "scalar":
            return f"'{node.value}'"
        return {"mapping": "a mapping", "list": "a list", "null": "nothing"}.get(kind, "something else")
