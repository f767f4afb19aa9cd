"""What a rule pack knows about right sequences, derived from its own structure.

The pack's answer paths (``enumerate_paths``) are its right outcomes. Three things make
them general enough to judge any sequence a coder might type:

- **Slots.** A code the coder typed into a ``code`` question (``scope: [K]``) is any code of
  that scope, not just the example the enumeration tried: it becomes a :class:`Slot` token.
- **Repeat groups.** A group (one instance per type of stent) is enumerated once and twice,
  but may hold up to ``max`` instances in any order: the codes of one ``each`` block become a
  :class:`Run` token, and a run is valid when it splits into distinct instance blocks.
- **Origins.** Every code is traced to the entry (file line, source passage) that emits it,
  so each finding names the rule behind it.

Nothing here lists outcomes by hand; a new pack is covered as soon as it loads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.rules.codes import ICD10, OPCS4, category_of, in_scope
from workbench.core.rules.model import Each, Fixed, FromAnswer, Item, Pack, Table


@dataclass(frozen=True)
class Slot:
    """Any code within ``scope``, typed by the coder (``several``: one or more)."""

    scope: tuple[str, ...]
    several: bool

    def __str__(self) -> str:
        return f"[{'a code' if not self.several else 'codes'} within {', '.join(self.scope)}]"


@dataclass(frozen=True)
class Run:
    """The codes of a repeat group's instances (``each`` block), in any order."""

    group: str

    def __str__(self) -> str:
        return f"[the {self.group} codes]"


Token = str | Slot | Run
Tokens = tuple[Token, ...]


@dataclass(frozen=True)
class Origin:
    """The pack entry that emits a code."""

    line: int
    codes: tuple[str, ...]            # every code this entry can emit
    what: str                         # "L80.4" or "one of Y53.1, ..., Y53.9"
    source: str


@dataclass
class GroupShape:
    codes: set[str]                                    # every code an instance can emit
    blocks: set[tuple[str, ...]] = field(default_factory=set)   # what one instance emits
    key: dict[str, str] = field(default_factory=dict)  # code -> the distinct answer it records
    maximum: int = 1
    line: int = 0


@dataclass
class PackModel:
    pack: Pack
    right: dict[tuple[Tokens, Tokens], tuple[list[str], list[str]]]   # tokens -> display example
    slots: dict[str, list[Slot]]                     # classification -> slots
    origins: dict[tuple[str, str], list[Origin]]     # (classification, code) -> entries
    groups: dict[str, GroupShape]
    universe: dict[str, set[str]]                    # classification -> codes on some right path
    categories: dict[str, set[str]]                  # classification -> categories of those codes
    together: set[frozenset[str]]                    # codes seen on one right path together
    most: Counter                                    # code -> most times on one right path
    anchors: dict[str, str]                          # code -> the nearest code always before it
    bags: dict[tuple, list] = field(default_factory=dict)   # sorted tokens -> right keys with them

    @property
    def file(self) -> str:
        return Path(self.pack.path).name if self.pack.path else f"{self.pack.id}.yaml"

    def rule(self, classification: str, code: str) -> Origin | None:
        found = self.origins.get((classification, code))
        return found[0] if found else None

    def belongs(self, classification: str, code: str) -> bool:
        """Whether a code is the pack's business: its categories or one of its slots."""
        return (category_of(code) in self.categories[classification]
                or any(in_scope(code, s.scope) for s in self.slots[classification]))


_MODELS: dict[int, tuple[Pack, PackModel | None]] = {}


def model_of(pack: Pack) -> PackModel | None:
    """The pack's model, built once per loaded pack; None when its paths cannot be enumerated."""
    cached = _MODELS.get(id(pack))
    if cached is not None and cached[0] is pack:
        return cached[1]
    from workbench.core.rules.paths import StuckPath, TooManyPaths, enumerate_paths

    try:
        paths = enumerate_paths(pack)
    except (StuckPath, TooManyPaths):
        model = None
    else:
        model = _build(pack, paths) if paths else None
    if len(_MODELS) > 256:
        _MODELS.clear()
    _MODELS[id(pack)] = (pack, model)
    return model


def _build(pack: Pack, paths) -> PackModel:
    origins: dict[tuple[str, str], list[Origin]] = {}
    slots: dict[str, list[Slot]] = {OPCS4: [], ICD10: []}
    groups: dict[str, GroupShape] = {}
    for classification, items in ((OPCS4, pack.procedures), (ICD10, pack.diagnoses)):
        _walk(pack, items, classification, origins, slots, groups, None)
    static = {code for _, code in origins}
    model = PackModel(pack, {}, slots, origins, groups, {OPCS4: set(), ICD10: set()},
                      {OPCS4: set(), ICD10: set()}, set(), Counter(), {})
    _learn_blocks(pack, paths, groups)
    for path in paths:
        typed = _typed_codes(pack, path.answers)
        tokens = []
        for classification, codes in ((OPCS4, path.procedures), (ICD10, path.diagnoses)):
            raw = [(c, _slot_for(c, classification, typed, static)) for c in codes]
            tokens.append(tokenise(model, [s if s else c for c, s in raw], classification))
            model.universe[classification].update(c for c, s in raw if not s)
            model.categories[classification].update(category_of(c) for c in codes)
        display = ([str(_slot_for(c, OPCS4, typed, static) or c) for c in path.procedures],
                   [str(_slot_for(c, ICD10, typed, static) or c) for c in path.diagnoses])
        key = (tokens[0], tokens[1])
        if key not in model.right or len(display[0]) < len(model.right[key][0]):
            model.right[key] = display          # the shortest example reads best in a message
        every = path.procedures + path.diagnoses
        model.together.update(frozenset((a, b)) for a in every for b in every if a != b)
        for code, count in Counter(every).items():
            model.most[code] = max(model.most[code], count)
    model.anchors = _anchors(paths)
    for key in model.right:
        model.bags.setdefault(bag(key), []).append(key)
    return model


def bag(key: tuple[Tokens, Tokens]) -> tuple:
    """The tokens of a sequence pair regardless of order."""
    return tuple(sorted(map(str, key[0]))), tuple(sorted(map(str, key[1])))


def _walk(pack, items: tuple[Item, ...], classification, origins, slots, groups, group: str | None) -> None:
    for item in items:
        if isinstance(item, Each):
            found = next((g for g in pack.questions if getattr(g, "id", None) == item.group
                          and hasattr(g, "another")), None)
            shape = GroupShape(set(), maximum=found.maximum if found else 1, line=item.line)
            groups[item.group] = shape
            _walk(pack, item.items, classification, origins, slots, groups, item.group)
            continue
        codes, source = _item_codes(pack, item, slots, classification)
        if not codes:
            continue
        what = codes[0] if len(codes) == 1 else "one of " + ", ".join(codes)
        origin = Origin(item.line, tuple(codes), what, " ".join((source or pack.source).split()))
        for code in codes:
            origins.setdefault((classification, code), []).append(origin)
        if group is not None:
            groups[group].codes.update(codes)
            if isinstance(item, Table):
                for value, node in item.rows.items():
                    for code in _leaves(node):
                        groups[group].key[code] = str(value)


def _item_codes(pack: Pack, item: Item, slots, classification) -> tuple[list[str], str]:
    if isinstance(item, Fixed):
        return list(item.codes), item.source
    if isinstance(item, Table):
        return sorted(set(_leaves(item.rows))), item.source
    if isinstance(item, FromAnswer):
        question = pack.find_question(item.question)
        if question is None:
            return ([item.default] if item.default else []), item.source
        if question.kind == "code":
            slots[classification].append(Slot(tuple(question.code_scope), question.several))
            return [], item.source
        codes = [c for o in question.options for c in o.codes] + ([item.default] if item.default else [])
        return list(dict.fromkeys(codes)), item.source or question.source
    return [], ""


def _leaves(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _leaves(value)]
    return []


def _typed_codes(pack: Pack, answers: dict) -> dict[str, Slot]:
    """The codes the coder typed on one path, each with the slot (question scope) it fills."""
    out: dict[str, Slot] = {}
    for qid, value in answers.items():
        question = pack.find_question(qid)
        if question is not None and question.kind == "code":
            for code in value if isinstance(value, list) else [value]:
                out[str(code)] = Slot(tuple(question.code_scope), question.several)
    return out


def _slot_for(code: str, classification: str, typed: dict[str, Slot], static: set) -> Slot | None:
    if code not in typed or (classification, code) in static:
        return None
    return typed[code]


def _learn_blocks(pack: Pack, paths, groups: dict[str, GroupShape]) -> None:
    """One-instance paths show what a single instance emits: the group's blocks."""
    for group_id, shape in groups.items():
        for path in paths:
            if f"{group_id}.2.type" in path.answers or any(k.startswith(f"{group_id}.2.") for k in path.answers):
                continue
            if not any(k.startswith(f"{group_id}.1.") for k in path.answers):
                continue
            block = tuple(c for c in path.procedures + path.diagnoses if c in shape.codes)
            if block:
                shape.blocks.add(block)


def tokenise(model: PackModel, codes: list, classification: str) -> Tokens:
    """Codes (or Slot tokens already placed) -> tokens: repeat-group runs folded, slot runs merged."""
    out: list[Token] = []
    index = 0
    while index < len(codes):
        code = codes[index]
        group = _group_of(model, code)
        if group is not None:
            end = index
            while end < len(codes) and _group_of(model, codes[end]) == group:
                end += 1
            run = tuple(codes[index:end])
            if valid_run(model.groups[group], run):
                out.append(Run(group))
            else:
                out.extend(run)
            index = end
            continue
        if isinstance(code, Slot) and code.several and out and out[-1] == code:
            index += 1
            continue
        out.append(code)
        index += 1
    return tuple(out)


def _group_of(model: PackModel, code) -> str | None:
    if not isinstance(code, str):
        return None
    for group_id, shape in model.groups.items():
        if code in shape.codes and shape.blocks:
            return group_id
    return None


def valid_run(shape: GroupShape, run: tuple[str, ...]) -> bool:
    """A run splits into at most ``maximum`` instance blocks recording different answers."""
    def split(rest: tuple[str, ...], used: frozenset[str], count: int) -> bool:
        if not rest:
            return 0 < count <= shape.maximum
        for block in shape.blocks:
            if rest[:len(block)] == block:
                keys = {shape.key.get(c, c) for c in block}
                if keys & used:
                    continue
                if split(rest[len(block):], used | keys, count + 1):
                    return True
        return False

    return split(run, frozenset(), 0)


def _anchors(paths) -> dict[str, str]:
    """For each code, the nearest code that comes before it on every right path that holds it."""
    always: dict[str, list[str]] = {}
    for path in paths:
        for seq in (path.procedures, path.diagnoses):
            for index, code in enumerate(seq):
                earlier = list(reversed(seq[:index]))          # nearest first
                if code not in always:
                    always[code] = earlier
                else:
                    always[code] = [c for c in always[code] if c in earlier]
    return {code: earlier[0] for code, earlier in always.items() if earlier and earlier[0] != code}
