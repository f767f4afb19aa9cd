"""What a rule pack knows about right sequences, derived from its own structure.

The pack's answer paths (``enumerate_paths``) are its right outcomes. Three things make
them general enough to judge any sequence a coder might type:

- **Slots.** A code the coder typed into a ``code`` question (``scope: [K]``) is any code of
  that scope, not just the example the enumeration tried: it becomes a :class:`Slot` token.
- **Repeat groups.** A group (one instance per type of stent, one per further spinal
  operation) is enumerated once and twice, but may hold up to ``max`` instances in any order:
  the codes of one ``each`` block become a :class:`Run` token, and a run is valid when it splits
  into instance blocks (recording different answers when the group is ``distinct``). A block
  holds any question kind's codes, a typed code as its slot. :func:`matches` checks a sequence
  against a right pattern code by code, for what the token lookup cannot settle alone.
- **Origins.** Every code is traced to the entry (file line, source passage) that emits it,
  so each finding names the rule behind it.

Nothing here lists outcomes by hand; a new pack is covered as soon as it loads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from workbench.core.rules.codes import ICD10, OPCS4, category_of, in_scope
from workbench.core.rules.model import Each, Fixed, FromAnswer, Group, Item, Pack, Question, Table


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
    codes: set                                         # every code (or slot) an instance can emit
    blocks: set[tuple] = field(default_factory=set)    # what one instance emits, as tokens
    key: dict[str, set[str]] = field(default_factory=dict)  # code -> the distinct answers it may record
    maximum: int = 1
    line: int = 0
    distinct: bool = False                             # instances must record different answers
    runs: dict[tuple, bool] = field(default_factory=dict)   # stretch -> whether it is a valid run


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
    # Right keys holding slots or runs, with the literal codes each needs: checked code by code
    # (``matches``) when no token form of a sequence is a right key as it stands.
    patterns: list[tuple[tuple, Counter]] = field(default_factory=list)

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


def model_of(pack: Pack, paths: list | None = None) -> PackModel | None:
    """The pack's model, built once per loaded pack; None when its paths cannot be enumerated.

    ``paths``: the pack's answer paths when the caller has them already (the linter)."""
    cached = _MODELS.get(id(pack))
    if cached is not None and cached[0] is pack:
        return cached[1]
    from workbench.core.rules.paths import StuckPath, TooManyPaths, enumerate_paths

    try:
        paths = enumerate_paths(pack) if paths is None else paths
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
    code_questions = _code_questions(pack)
    _learn_blocks(pack, paths, groups, code_questions)
    pairs_seen: set[frozenset] = set()
    sequences_seen: set[tuple] = set()
    for path in paths:
        typed = _typed_codes(pack, path.answers, code_questions)
        procedures, diagnoses = tuple(path.procedures), tuple(path.diagnoses)
        signature = (procedures, diagnoses, frozenset(typed.items()))
        if signature in sequences_seen:
            continue                            # another path to the same codes teaches nothing new
        sequences_seen.add(signature)
        tokens, display = [], []
        for classification, codes, entries in ((OPCS4, procedures, path.evaluation.procedures),
                                               (ICD10, diagnoses, path.evaluation.diagnoses)):
            placed = [_slot_for(c, classification, typed, static) or c for c in codes]
            tokens.append(_right_tokens(model, placed, [e.instance for e in entries]))
            display.append([str(t) for t in placed])
            model.universe[classification].update(c for c, t in zip(codes, placed, strict=True) if t == c)
            model.categories[classification].update(category_of(c) for c in codes)
        key = (tokens[0], tokens[1])
        if key not in model.right or len(display[0]) < len(model.right[key][0]):
            model.right[key] = (display[0], display[1])   # the shortest example reads best in a message
        every = procedures + diagnoses
        distinct = frozenset(every)
        if distinct not in pairs_seen:      # many paths hold the same codes in another arrangement
            pairs_seen.add(distinct)
            model.together.update(frozenset((a, b)) for a in distinct for b in distinct if a != b)
        for code, count in Counter(every).items():
            model.most[code] = max(model.most[code], count)
    model.anchors = _anchors(paths)
    for key in model.right:
        model.bags.setdefault(bag(key), []).append(key)
        if any(not isinstance(t, str) for side in key for t in side):
            model.patterns.append((key, Counter(t for side in key for t in side if isinstance(t, str))))
    return model


def bag(key: tuple[Tokens, Tokens]) -> tuple:
    """The tokens of a sequence pair regardless of order."""
    return tuple(sorted(map(str, key[0]))), tuple(sorted(map(str, key[1])))


def _group(pack: Pack, group_id: str | None) -> Group | None:
    return next((g for g in pack.questions if isinstance(g, Group) and g.id == group_id), None)


def _question(pack: Pack, group: str | None, question_id: str) -> Question | None:
    """A question as an entry names it: inside a group's `each`, by its plain name."""
    return pack.find_question(f"{group}.1.{question_id}" if group else question_id)


def _walk(pack, items: tuple[Item, ...], classification, origins, slots, groups, group: str | None) -> None:
    for item in items:
        if isinstance(item, Each):
            found = _group(pack, item.group)
            shape = GroupShape(set(), maximum=found.maximum if found else 1, line=item.line,
                               distinct=bool(found and found.distinct))
            groups[item.group] = shape
            _walk(pack, item.items, classification, origins, slots, groups, item.group)
            continue
        codes, slot, source = _item_codes(pack, item, slots, classification, group)
        if group is not None:
            groups[group].codes.update(codes)
            if slot is not None:
                groups[group].codes.add(slot)
            for code, value in _distinct_keys(pack, item, group):
                groups[group].key.setdefault(code, set()).add(value)
        if not codes:
            continue
        what = codes[0] if len(codes) == 1 else "one of " + ", ".join(codes)
        origin = Origin(item.line, tuple(codes), what, " ".join((source or pack.source).split()))
        for code in codes:
            origins.setdefault((classification, code), []).append(origin)


def _distinct_keys(pack: Pack, item: Item, group: str) -> list[tuple[str, str]]:
    """(code, the answer it records) for the answers an instance may not repeat (`distinct`); a code
    may record several (L89.9: a drug-eluting or a coated stent, number not stated)."""
    found = _group(pack, group)
    if isinstance(item, Table) and found is not None and item.keys[0] in found.distinct:
        return [(code, str(value)) for value, node in item.rows.items() for code in _leaves(node)]
    if isinstance(item, FromAnswer) and found is not None and item.question in found.distinct:
        question = _question(pack, group, item.question)
        return [(code, o.value) for o in (question.options if question else []) for code in o.codes]
    return []


def _item_codes(pack: Pack, item: Item, slots, classification,
                group: str | None) -> tuple[list[str], Slot | None, str]:
    """The codes an entry can emit, the slot it fills (a typed code), and its source passage."""
    if isinstance(item, Fixed):
        return list(item.codes), None, item.source
    if isinstance(item, Table):
        return sorted(set(_leaves(item.rows))), None, item.source
    if isinstance(item, FromAnswer):
        question = _question(pack, group, item.question)
        if question is None:
            return ([item.default] if item.default else []), None, item.source
        if question.kind == "code":
            slot = Slot(tuple(question.code_scope), question.several)
            slots[classification].append(slot)
            return [], slot, item.source
        codes = [c for o in question.options for c in o.codes] + ([item.default] if item.default else [])
        return list(dict.fromkeys(codes)), None, item.source or question.source
    return [], None, ""


def _leaves(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _leaves(value)]
    return []


def _typed_codes(pack: Pack, answers: dict, code_questions: dict | None = None) -> dict[str, Slot]:
    """The codes the coder typed on one path, each with the slot (question scope) it fills."""
    out: dict[str, Slot] = {}
    code_questions = _code_questions(pack) if code_questions is None else code_questions
    for qid, value in answers.items():
        parts = qid.split(".")
        question = code_questions.get((parts[0], parts[-1]) if len(parts) == 3 else (None, qid))
        if question is not None:
            for code in value if isinstance(value, list) else [value]:
                out[str(code)] = Slot(tuple(question.code_scope), question.several)
    return out


def _code_questions(pack: Pack) -> dict[tuple, Question]:
    """The pack's code questions by (group, template id): instance ids 'g.2.q' are ('g', 'q')."""
    return {(q.group, q.template_id): q for q in pack.all_questions() if q.kind == "code"}


def _slot_for(code: str, classification: str, typed: dict[str, Slot], static: set) -> Slot | None:
    if code not in typed or (classification, code) in static:
        return None
    return typed[code]


def _learn_blocks(pack: Pack, paths, groups: dict[str, GroupShape], code_questions: dict) -> None:
    """What each instance emitted on the paths (the engine tags its codes): the group's blocks."""
    if not groups:
        return
    static = {code for shape in groups.values() for code in shape.codes if isinstance(code, str)}
    for path in paths:
        typed = _typed_codes(pack, path.answers, code_questions)
        for entries in (path.evaluation.procedures, path.evaluation.diagnoses):   # blocks per list
            blocks: dict[str, list] = {}
            for entry in entries:
                if entry.instance:
                    slot = None if entry.code in static else typed.get(entry.code)
                    blocks.setdefault(entry.instance, []).append(slot or entry.code)
            for instance, block in blocks.items():
                shape = groups.get(instance.rsplit(".", 1)[0])
                if shape is not None:
                    shape.blocks.add(tuple(block))


def _right_tokens(model: PackModel, placed: list, instances: list[str]) -> Tokens:
    """A right path's tokens: the codes its repeat-group instances gave (the engine tags them)
    folded into one Run each, whatever the pack codes next to them; several-code slots merged."""
    out: list[Token] = []
    index = 0
    while index < len(placed):
        group = instances[index].rsplit(".", 1)[0] if instances[index] else None
        if group is not None and group in model.groups:
            end = index
            while end < len(placed) and instances[end] and instances[end].rsplit(".", 1)[0] == group:
                end += 1
            out.extend(_fold(model.groups[group], group, tuple(placed[index:end])))
            index = end
            continue
        code = placed[index]
        if not (isinstance(code, Slot) and code.several and out and out[-1] == code):
            out.append(code)
        index += 1
    return tuple(out)


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
            out.extend(_fold(model.groups[group], group, tuple(codes[index:end])))
            index = end
            continue
        if isinstance(code, Slot) and code.several and out and out[-1] == code:
            index += 1
            continue
        out.append(code)
        index += 1
    return tuple(out)


def _fold(shape: GroupShape, group: str, stretch: tuple) -> list[Token]:
    """A stretch of codes a group can emit: one Run when it splits into instance blocks, else the
    codes as they stand (the same codes given elsewhere by the pack, or more than a run holds)."""
    return [Run(group)] if valid_run(shape, stretch) else list(stretch)


def _group_of(model: PackModel, code) -> str | None:
    for group_id, shape in model.groups.items():
        if code in shape.codes and shape.blocks:
            return group_id
    return None


def _block_choices(shape: GroupShape, block: tuple) -> set[str] | None:
    """The distinct answers one instance block may record (L89.9 is a drug-eluting or a coated
    stent whose number is not stated); None when nothing constrains it (no `distinct`)."""
    if not shape.distinct:
        return None
    sets = [shape.key[c] for c in block if isinstance(c, str) and c in shape.key]
    return set.intersection(*sets) if sets else None


def _next_uses(shape: GroupShape, block: tuple, used: frozenset[str]) -> list[frozenset[str]]:
    """The answers recorded so far after one more block: one way per answer it may record."""
    choices = _block_choices(shape, block)
    if choices is None:
        return [used]
    return [used | {choice} for choice in sorted(choices - used)]


def valid_run(shape: GroupShape, run: tuple) -> bool:
    """A run splits into at most ``maximum`` instance blocks (recording different answers when
    the group is `distinct`). Remembered per stretch: the same stretches recur path after path."""
    known = shape.runs.get(run)
    if known is None:
        known = shape.runs[run] = _splits(shape, run)
    return known


def _splits(shape: GroupShape, run: tuple) -> bool:
    def split(rest: tuple, used: frozenset[str], count: int) -> bool:
        if not rest:
            return 0 < count <= shape.maximum
        if count == shape.maximum:
            return False
        for block in shape.blocks:
            if rest[:len(block)] == block and any(split(rest[len(block):], now, count + 1)
                                                  for now in _next_uses(shape, block, used)):
                return True
        return False

    return split(run, frozenset(), 0)


def matches(model: PackModel, pattern: Tokens, codes: tuple[str, ...]) -> bool:
    """Whether codes fit a right pattern: its codes as they stand, a slot any code in its scope
    (one or more when several), a run one to ``maximum`` of the group's instance blocks."""
    @cache
    def fit(ti: int, ci: int) -> bool:
        if ti == len(pattern):
            return ci == len(codes)
        token = pattern[ti]
        if isinstance(token, str):
            return ci < len(codes) and codes[ci] == token and fit(ti + 1, ci + 1)
        if isinstance(token, Slot):
            end = ci
            while end < len(codes) and in_scope(codes[end], token.scope):
                end += 1
                if fit(ti + 1, end):
                    return True
                if not token.several:
                    break
            return False
        return any(fit(ti + 1, end) for end in _run_ends(model.groups[token.group], codes, ci))

    return fit(0, 0)


def _run_ends(shape: GroupShape, codes: tuple[str, ...], start: int) -> set[int]:
    """Where a run of instance blocks starting at ``start`` can end."""
    ends: set[int] = set()

    def walk(at: int, used: frozenset[str], count: int) -> None:
        if count == shape.maximum:
            return
        for block in shape.blocks:
            if not _block_fits(block, codes, at):
                continue
            for now in _next_uses(shape, tuple(codes[at:at + len(block)]), used):
                ends.add(at + len(block))
                walk(at + len(block), now, count + 1)

    walk(start, frozenset(), 0)
    return ends


def _block_fits(block: tuple, codes: tuple[str, ...], at: int) -> bool:
    if at + len(block) > len(codes):
        return False
    return all(codes[at + i] == t if isinstance(t, str) else in_scope(codes[at + i], t.scope)
               for i, t in enumerate(block))


def _anchors(paths) -> dict[str, str]:
    """For each code, the nearest code that comes before it on every right path that holds it."""
    always: dict[str, list[str]] = {}
    seen: set[tuple[str, ...]] = set()
    for path in paths:
        for seq in (tuple(path.procedures), tuple(path.diagnoses)):
            if seq in seen:
                continue
            seen.add(seq)
            for index, code in enumerate(seq):
                if code not in always:
                    always[code] = list(reversed(seq[:index]))          # nearest first
                elif always[code]:
                    earlier = set(seq[:index])
                    always[code] = [c for c in always[code] if c in earlier]
    return {code: earlier[0] for code, earlier in always.items() if earlier and earlier[0] != code}
