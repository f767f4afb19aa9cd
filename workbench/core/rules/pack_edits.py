"""Pack-aware edits: a sequence coded with a guidance is checked against the pack's right outcomes.

The pack's model (:mod:`workbench.core.rules.pack_model`) holds every right sequence in
token form. A sequence equal to one of them passes. Otherwise the nearest right
sequence is found and the difference is explained, each finding naming the pack
entry (``file:line`` and its source passage) and what the pack would give instead:

| id | the sequence has |
|---|---|
| pack-missing-code | not a code every nearby right path has (stent type, image control, ...) |
| pack-code-not-given | a code the pack never gives (a sibling 4th character, a .9 where a specified one is needed) |
| pack-exclusive-codes | codes from answers that exclude each other (L80.4 with L80.2) |
| pack-supplementary | a code without, or before, the code it always follows (L76.1 before L80.4) |
| pack-duplicate-code | a code more often than any right path has it |
| pack-order | the right codes in an order no right path has |

Codes outside the pack's categories and slots (another procedure in the same episode,
with its own method and site codes) are the coder's extras and are left to the other edits.
"""

from __future__ import annotations

from collections import Counter
from itertools import product

from workbench.core.rules.codes import ICD10, OPCS4, category_of, in_scope
from workbench.core.rules.conventions import groups, is_qualifier
from workbench.core.rules.model import EditResult, Pack
from workbench.core.rules.pack_model import (
    PackModel,
    Slot,
    Token,
    Tokens,
    bag,
    matches,
    model_of,
    tokenise,
)

_NAMES = {OPCS4: "OPCS-4", ICD10: "ICD-10"}
Coded = list[tuple[int, str]]


def pack_edits(pack: Pack, procs: Coded, diags: Coded) -> tuple[list[EditResult], set[int]]:
    """The findings, and the procedure positions the pack vouches for when the sequence is right.

    A sequence the pack gives is right even where a general convention would say otherwise
    (IPG337 adds Y53.4 to Y53.2 by name): the caller drops convention findings at those positions.
    """
    model = model_of(pack)
    if model is None:
        return [], set()
    kept = {OPCS4: _own_procedures(model, procs), ICD10: [(p, c) for p, c in diags if model.belongs(ICD10, c)]}
    repeated = _repeated_in_a_slot(model, kept)
    if repeated:
        return repeated, set()
    # Token forms are made lazily: the first (every code as it stands) is right for most sequences.
    diagnosis_forms = list(_variants(model, kept[ICD10], ICD10))
    first = None
    for form in _variants(model, kept[OPCS4], OPCS4):
        first = first or form
        if any((form, other) in model.right for other in diagnosis_forms):
            return [], {p for p, _ in kept[OPCS4]}
    if _fits_a_pattern(model, kept):
        return [], {p for p, _ in kept[OPCS4]}
    tokens = (first, diagnosis_forms[0])
    nearest = _nearest(model, tokens)
    return _Explain(model, kept, tokens, nearest).findings(), set()


def _repeated_in_a_slot(model: PackModel, kept: dict[str, Coded]) -> list[EditResult]:
    """A code typed twice into one slot of several codes (X70.1 X70.1): the wizard refuses a code
    entered twice, so no right sequence has it, however the slot's codes are otherwise arranged."""
    out = []
    for classification, coded in kept.items():
        for slot in model.slots[classification]:
            if not slot.several:
                continue
            run: set[str] = set()
            for position, code in coded:
                if not in_scope(code, slot.scope) or code in model.universe[classification]:
                    run = set()             # a code the pack itself gives (Z94.2) may repeat
                    continue
                if code in run:
                    out.append(EditResult("pack-duplicate-code", "error",
                                          f"{_NAMES[classification]} {code} is entered twice for one question "
                                          f"({slot}): {model.pack.id} gives each code once", position, classification))
                run.add(code)
    return out


def _fits_a_pattern(model: PackModel, kept: dict[str, Coded]) -> bool:
    """A right pattern with slots or runs that the codes fit one by one: the token forms above are
    capped, and a code inside a slot's scope may also be one the pack names elsewhere (IPG387's
    further chapter V operations beside its own V33.8 and V38.8)."""
    procs = tuple(c for _, c in kept[OPCS4])
    diags = tuple(c for _, c in kept[ICD10])
    have = Counter(procs + diags)
    for key, needs in model.patterns:
        if any(have[code] < count for code, count in needs.items()):
            continue
        if matches(model, key[0], procs) and matches(model, key[1], diags):
            return True
    return False


def _own_procedures(model: PackModel, procs: Coded) -> Coded:
    """The pack's procedure groups; another procedure's group (lead outside the pack) is an extra."""
    out: Coded = []
    for group in groups(procs, set(model.pack.site_codes)):
        lead = group[0][1]
        if is_qualifier(lead) or model.belongs(OPCS4, lead):
            out.extend((p, c) for p, c in group if model.belongs(OPCS4, c))
    return out


def _variants(model: PackModel, coded: Coded, classification: str):
    """Token forms of a sequence (at least one, at most 16): a code that is both a pack code and
    inside a slot may be either."""
    choices: list[list[Token]] = []
    slots = model.slots[classification]
    for _, code in coded:
        slot = next((s for s in slots if in_scope(code, s.scope)), None)
        if slot is None:
            choices.append([code])
        elif code in model.universe[classification]:
            choices.append([code, slot])
        else:
            choices.append([slot])
    for count, combo in enumerate(product(*choices)):
        if count == 16:
            return
        yield tokenise(model, list(combo), classification)


def _nearest(model: PackModel, tokens: tuple[Tokens, Tokens]) -> tuple[Tokens, Tokens]:
    """A right sequence one edit away when there is one, else the closest by edit distance."""
    alphabet: dict[int, set[Token]] = {0: set(), 1: set()}
    for key in model.right:
        for side in (0, 1):
            alphabet[side].update(key[side])
    # The same codes in another order first: then the finding is about the order, not a code.
    same = model.bags.get(bag(tokens))
    if same:
        return min(same, key=lambda k: _distance(tokens[0], k[0]) + _distance(tokens[1], k[1]))
    for side in (0, 1):
        for candidate in _one_edit(tokens[side], alphabet[side]):
            key = (candidate, tokens[1]) if side == 0 else (tokens[0], candidate)
            if key in model.right:
                return key
    return min(model.right, key=lambda k: _distance(tokens[0], k[0]) + _distance(tokens[1], k[1]))


def _one_edit(seq: Tokens, alphabet: set[Token]):
    """Sequences one edit away, those keeping more of the coder's codes first: a forgotten code
    (insertion) explains better than a wrong one (substitution)."""
    ordered = sorted(alphabet, key=str)
    for i in range(len(seq) + 1):
        for token in ordered:
            yield seq[:i] + (token,) + seq[i:]
    for i in range(len(seq)):
        yield seq[:i] + seq[i + 1:]
    for i in range(len(seq) - 1):
        yield seq[:i] + (seq[i + 1], seq[i]) + seq[i + 2:]
    for i in range(len(seq)):
        for token in ordered:
            if token != seq[i]:
                yield seq[:i] + (token,) + seq[i + 1:]


def _distance(a: Tokens, b: Tokens) -> int:
    """Edit distance with adjacent transposition (optimal string alignment)."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


class _Explain:
    """Turns the difference between a sequence and its nearest right sequence into findings."""

    def __init__(self, model: PackModel, kept: dict[str, Coded], tokens: tuple[Tokens, Tokens],
                 nearest: tuple[Tokens, Tokens]):
        self.model = model
        self.kept = kept
        self.tokens = {OPCS4: tokens[0], ICD10: tokens[1]}
        self.nearest = {OPCS4: nearest[0], ICD10: nearest[1]}
        procs, diags = model.right[nearest]
        self.would_give = f" {model.pack.id} would give: {' '.join(procs) or '-'}" + (
            f" | diagnoses {' '.join(diags)}" if diags else "")
        self.out: list[EditResult] = []
        self.explained: set[str] = set()     # categories and codes a finding already covers

    def findings(self) -> list[EditResult]:
        for classification in (OPCS4, ICD10):
            self.unexpected(classification)
            self.supplementary(classification)
        for classification in (OPCS4, ICD10):
            self.missing(classification)
        if not self.out:
            self.order()
        return self.out

    def add(self, edit_id: str, message: str, position: int | None, classification: str) -> None:
        self.out.append(EditResult(edit_id, "error", message + ";" + self.would_give, position, classification))

    def rule(self, classification: str, code: str) -> str:
        origin = self.model.rule(classification, code)
        if origin is None:
            return ""
        source = origin.source if len(origin.source) <= 90 else origin.source[:87] + "..."
        return f" (rule {self.model.file}:{origin.line}: \"{source}\")"

    def unexpected(self, classification: str) -> None:
        name, pack = _NAMES[classification], self.model.pack.id
        extra = Counter(self.tokens[classification]) - Counter(self.nearest[classification])
        coded = self.kept[classification]
        codes = [c for _, c in coded]
        for token in extra:
            if not isinstance(token, str):
                continue
            position = next(p for p, c in coded if c == token)
            if token not in self.model.universe[classification]:
                others = sorted(c for c in self.model.universe[classification] if category_of(c) == category_of(token))
                self.explained.add(category_of(token))
                offer = f": from {category_of(token)} it gives {', '.join(others)}" if others else ""
                self.add("pack-code-not-given", f"{pack} never gives {name} {token}{offer}"
                         + (self.rule(classification, others[0]) if others else ""), position, classification)
                continue
            clash = next((c for c in codes if c != token and frozenset((c, token)) not in self.model.together), None)
            if clash is not None and token in self.explained and clash in self.explained:
                continue                        # the pair is already reported the other way round
            if clash is not None:
                self.explained.update((token, clash))
                self.add("pack-exclusive-codes",
                         f"{pack} never gives {name} {token} together with {clash}: they come from different "
                         f"answers{self.rule(classification, token)}", position, classification)
            elif codes.count(token) > self.model.most[token]:
                self.explained.add(token)
                position = [p for p, c in coded if c == token][-1]      # the repeat, not the first
                self.add("pack-duplicate-code", f"{pack} gives {name} {token} at most "
                         f"{self.model.most[token]} time(s){self.rule(classification, token)}", position, classification)

    def supplementary(self, classification: str) -> None:
        coded = self.kept[classification]
        first = {}
        for position, code in coded:
            first.setdefault(code, position)
        for position, code in coded:
            anchor = self.model.anchors.get(code)
            if anchor is None or code in self.explained or anchor in self.explained:
                continue
            if anchor not in first:
                self.explained.update((code, anchor))
                self.add("pack-supplementary", f"{self.model.pack.id} gives {code} only after {anchor}, which is "
                         f"missing{self.rule(classification, anchor)}", position, classification)
            elif first[anchor] > position:
                self.explained.add(code)
                self.add("pack-supplementary", f"{code} must come after {anchor}, not before it"
                         f"{self.rule(classification, code)}", position, classification)

    def missing(self, classification: str) -> None:
        lacking = Counter(self.nearest[classification]) - Counter(self.tokens[classification])
        for token in lacking:
            if isinstance(token, str) and (token in self.explained or category_of(token) in self.explained):
                continue
            if isinstance(token, Slot):
                what, rule = str(token), ""
            elif isinstance(token, str):
                origin = self.model.rule(classification, token)
                what, rule = (origin.what if origin else token), self.rule(classification, token)
                instead = self.replaced(classification, token)
                if instead:
                    self.add("pack-missing-code", f"{self.model.pack.id} gives {token} here, not {instead[1]}{rule}",
                             instead[0], classification)
                    continue
            else:
                shape = self.model.groups[token.group]
                if shape.codes & self.explained:
                    continue
                what = f"a code for each {token.group} instance ({', '.join(sorted(map(str, shape.codes)))})"
                rule = f" (rule {self.model.file}:{shape.line})"
            self.add("pack-missing-code", f"{self.model.pack.id} needs {what} here{rule}", None, classification)

    def replaced(self, classification: str, wanted: str) -> tuple[int, str] | None:
        """A code of the sequence that stands where the nearest right path has ``wanted``."""
        extra = Counter(self.tokens[classification]) - Counter(self.nearest[classification])
        for position, code in self.kept[classification]:
            if code in extra and code not in self.explained and category_of(code) == category_of(wanted):
                return position, code
        return None

    def order(self) -> None:
        for classification in (OPCS4, ICD10):
            mine, right = self.tokens[classification], self.nearest[classification]
            if mine == right:
                continue
            index = next((i for i, (a, b) in enumerate(zip(mine, right, strict=False)) if a != b),
                         min(len(mine), len(right)))
            coded = self.kept[classification]
            position = coded[min(index, len(coded) - 1)][0] if coded else None
            kind = "pack-order" if Counter(mine) == Counter(right) else "pack-sequence"
            self.add(kind, f"{self.model.pack.id} never gives these {_NAMES[classification]} codes in this order",
                     position, classification)
