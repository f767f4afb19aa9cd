"""Shared pieces of the rule-pack path tests: answers as keys, every path a pack gives, and the
hand-written expectation compared with it.

Each library test file writes its packs' expected sequences by hand; this module holds only the
mechanics, so every file compares the same way.
"""

from __future__ import annotations

from workbench.core.rules import enumerate_paths, load_pack
from workbench.core.rules.loader import PACKS_DIR

# (procedures, diagnoses) for each set of answers.
Expected = dict[frozenset, tuple[tuple[str, ...], tuple[str, ...]]]

Y53 = {"radiological": "Y53.1", "ultrasonic": "Y53.2", "ct": "Y53.3", "fluoroscopic": "Y53.4",
       "image_intensifier": "Y53.5", "video": "Y53.6", "mri": "Y53.7", "other": "Y53.8", "not_stated": "Y53.9"}
Y95 = {"over_20": ("Y95.1",), "from_14_to_20": ("Y95.2",), "from_9_to_14": ("Y95.3",), "under_9": ("Y95.4",),
       "not_documented": ()}
#: The marker for a path the pack hands over to coding by hand (outside its scope).
HANDOVER = "handover"


def key(**answers) -> frozenset:
    return frozenset((k, tuple(v) if isinstance(v, list) else v) for k, v in answers.items())


def pack(guidance: str):
    return load_pack(PACKS_DIR / f"{guidance}.yaml")


def actual(guidance: str) -> dict:
    """Every path of the pack: answers -> (procedures, diagnoses), or HANDOVER.

    A path walked with codes assumed in the episode (``episode_has`` conditions) carries them
    under the key ``episode``: ``key(episode=("F34.-",))``."""
    out: dict = {}
    for path in enumerate_paths(pack(guidance)):
        answers = key(**path.answers, **({"episode": path.context} if path.context else {}))
        assert answers not in out, f"two paths with the same answers: {path.answers}"
        result = (tuple(path.procedures), tuple(path.diagnoses))
        out[answers] = HANDOVER if path.evaluation.handover else result
    return out


def single(codes: tuple[str, ...], diagnoses: tuple[str, ...] = ()) -> Expected:
    return {key(): (codes, diagnoses)}


def one_question(qid: str, options: dict[str, str], before: tuple[str, ...], after: tuple[str, ...] = (),
                 diagnoses: tuple[str, ...] = ()) -> Expected:
    """A pack with a single choice whose code sits between fixed codes."""
    return {key(**{qid: v}): ((*before, c, *after), diagnoses) for v, c in options.items()}


def assert_paths_match(guidance: str, expected: dict) -> None:
    """Nothing more, nothing less: every path the pack gives is one written by hand."""
    got = actual(guidance)
    missing = {tuple(sorted(k)): v for k, v in expected.items() if got.get(k) != v}
    extra = {tuple(sorted(k)): v for k, v in got.items() if k not in expected}
    assert not missing and not extra, f"missing or different: {missing}\nnot expected: {extra}"
