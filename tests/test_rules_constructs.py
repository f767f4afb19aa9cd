"""The rule-language constructs and defect fixes of issue 15, each shown failing without it.

Supersession, scope, preferred options, position rules, case-by-case packs, complete
three-character ICD-10 codes, SNOMED CT display; repeat groups without `distinct`, later
instances that say which instance they ask about, and code slots that do not list 25 letters.
"""

from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.core.guidance import load_guidance_file
from workbench.core.lifecycle import lifecycle_from
from workbench.core.rules import PackError, enumerate_paths, evaluate, load_pack_text
from workbench.core.rules.codes import describe_scope, normalise_complete
from workbench.core.rules.export import evaluation_as_dict
from workbench.core.rules.lint import lint_pack
from workbench.core.rules.positions import position_edits

HEAD = "id: T1\nguidance: IPG999\ntitle: Test\nversion: '1'\nstatus: draft\n"


def pack(body: str):
    return load_pack_text(HEAD + body, "test.yaml")


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


# ---- repeat groups -------------------------------------------------------------------------

GROUP = """
questions:
  - group: stents
    max: 3
    {extra}
    questions:
      - id: type
        kind: choice
        prompt: Type of stent
        source: s
        options:
          - {{value: metal, label: Metal, code: L76.1}}
          - {{value: plastic, label: Plastic, code: L76.2}}
    another:
      prompt: Another type?
      default: "no"
procedures:
  - code: L80.4
  - each: stents
    items:
      - from: type
"""


def test_a_repeat_group_without_distinct_loads_and_offers_every_option_again() -> None:
    loaded = pack(GROUP.format(extra=""))
    result = evaluate(loaded, {"stents.1.type": "metal", "stents.1.another": "yes"})
    assert [o.value for o in result.next_question.options] == ["metal", "plastic"]
    with_distinct = pack(GROUP.format(extra="distinct: type"))
    result = evaluate(with_distinct, {"stents.1.type": "metal", "stents.1.another": "yes"})
    assert [o.value for o in result.next_question.options] == ["plastic"]


def test_the_second_instance_says_which_instance_it_asks_about() -> None:
    loaded = pack(GROUP.format(extra="item: type of stent"))
    first = evaluate(loaded, {}).next_question
    second = evaluate(loaded, {"stents.1.type": "metal", "stents.1.another": "yes"}).next_question
    assert first.prompt == "Type of stent"
    assert second.id == "stents.2.type" and second.prompt == "Type of stent (second type of stent)"
    another = evaluate(loaded, {"stents.1.type": "metal", "stents.1.another": "yes",
                                "stents.2.type": "plastic"}).next_question
    assert another.prompt == "Another type? (second type of stent)"
    unnamed = pack(GROUP.format(extra=""))
    assert evaluate(unnamed, {"stents.1.type": "metal", "stents.1.another": "yes"}).next_question.prompt \
        == "Type of stent (second stents)"


# ---- code slots ----------------------------------------------------------------------------

def test_a_slot_open_to_every_chapter_says_so_in_two_words() -> None:
    assert describe_scope(list("ABCDEFGHJKLMNOPQRSTUVWXYZ")) == "any chapter"
    assert describe_scope(list("ABCDEFGHJKLMNPQRSTUVWXYZ")) == "chapters A-H, J-N, P-Z"
    assert describe_scope(["K"]) == "chapter K"
    assert describe_scope(["X70", "X71", "X72"]) == "X70, X71, X72"
    assert describe_scope(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), "icd10") == "any chapter"


def test_cli_next_question_prints_the_short_scope(capsys) -> None:
    code, out = run(capsys, "code", "IPG403")
    assert code == 0
    assert "a code within chapters A-H, J-N, P-Z" in out and "A, B, C" not in out


# ---- supersession --------------------------------------------------------------------------

def test_a_pack_says_what_replaced_it_and_a_withdrawn_one_says_so() -> None:
    replaced = pack("replaced_by: {guidance: ipg 489, date: May 2014}\nprocedures:\n  - code: A70.1\n")
    assert replaced.lifecycle.status() == "replaced by IPG489 (May 2014)"
    assert replaced.lifecycle.superseded
    withdrawn = pack("withdrawn: {reason: covered by a clinical guideline}\nprocedures:\n  - code: Q16.3\n")
    assert withdrawn.lifecycle.status() == "withdrawn"
    assert "WITHDRAWN" in withdrawn.lifecycle.warnings("IPG7")[0]
    current = pack("replaces: [{guidance: IPG181, date: June 2006}]\nprocedures:\n  - code: K62.5\n")
    assert current.lifecycle.status() == "" and not current.lifecycle.superseded
    assert current.lifecycle.warnings("IPG349") == []
    assert current.lifecycle.sentences("IPG349") == ["IPG349 replaces IPG181 (June 2006)."]


def test_a_bad_supersession_names_the_line() -> None:
    with pytest.raises(PackError) as exc:
        pack("procedures:\n  - code: A70.1\nreplaced_by: {guidance: soon}\n")
    assert exc.value.line == 8 and "guidance number" in exc.value.message


def test_lifecycle_reads_front_matter_shapes() -> None:
    life = lifecycle_from({"replaced_by": "IPG542", "withdrawn": "yes"})
    assert life.status() == "withdrawn; replaced by IPG542"


def test_the_shipped_guidance_documents_carry_it() -> None:
    from workbench.core.paths import FIXTURES_DIR

    doc = load_guidance_file(FIXTURES_DIR / "guidance" / "IPG103.md")
    assert doc.lifecycle.status() == "replaced by IPG489 (May 2014)"
    assert load_guidance_file(FIXTURES_DIR / "guidance" / "IPG7.md").lifecycle.withdrawn is not None


def test_search_shows_a_replaced_guidance_beside_its_title(capsys, reference_db) -> None:
    code, out = run(capsys, "search", "ipg 103")
    line = next(line for line in out.splitlines() if "IPG103" in line)
    assert code == 0 and "Gastroelectrical stimulation" in line and "REPLACED BY IPG489 (MAY 2014)" in line
    code, out = run(capsys, "search", "ipg 103", "--json")
    hit = next(h for h in json.loads(out) if h["code"] == "IPG103")
    assert hit["status"] == "replaced by IPG489 (May 2014)"
    code, out = run(capsys, "search", "ipg 75")
    assert "[" not in next(line for line in out.splitlines() if "IPG75 " in line + " ")


def test_coding_with_a_replaced_pack_cautions(capsys) -> None:
    code, out = run(capsys, "code", "IPG103")
    assert code == 0 and "Caution: IPG103 was REPLACED by IPG489 in May 2014" in out


# ---- scope and case by case ------------------------------------------------------------------

SCOPED = """
requires_diagnosis: yes
scope:
  covers: the percutaneous approach
  when: {approach: percutaneous}
questions:
  - id: approach
    kind: choice
    prompt: Approach?
    source: s
    options:
      - {value: percutaneous, label: Percutaneous}
      - {value: open, label: Open}
  - id: ultrasound
    kind: yesno
    prompt: Ultrasound?
    source: s
procedures:
  - code: J12.8
  - code: Y53.2
    when: ultrasound
diagnoses:
  - code: C78.7
"""


def test_outside_the_scope_nothing_more_is_asked_or_coded() -> None:
    loaded = pack(SCOPED)
    inside = evaluate(loaded, {"approach": "percutaneous"})
    assert not inside.complete and inside.next_question.id == "ultrasound" and not inside.handover
    outside = evaluate(loaded, {"approach": "open"})
    assert outside.complete and outside.next_question is None
    assert outside.procedures == [] and outside.diagnoses == []
    assert "covers only the percutaneous approach" in outside.handover
    assert outside.notes == [outside.handover]
    assert evaluation_as_dict(outside, [])["handover"] == outside.handover
    assert not loaded.partial


def test_the_linter_skips_out_of_scope_paths_but_flags_a_scope_that_rules_out_nothing() -> None:
    assert [str(m) for m in lint_pack(pack(SCOPED), None)] == []   # no missing-diagnosis for "open"
    never = SCOPED.replace("when: {approach: percutaneous}", "when: {any: [{approach: percutaneous}, "
                                                               "{approach: open}]}")
    messages = [m.message for m in lint_pack(pack(never), None)]
    assert any("rules out nothing" in m for m in messages)


def test_a_case_by_case_pack_needs_no_codes_and_hands_over() -> None:
    loaded = pack("case_by_case: the codes depend on the limb\n")
    result = evaluate(loaded, {})
    assert result.complete and result.procedures == [] and "gives no fixed codes" in result.handover
    with pytest.raises(PackError, match="case_by_case"):
        pack("questions: []\n")


# ---- preferred options -----------------------------------------------------------------------

PREFERRED = """
questions:
  - id: solution
    kind: choice
    prompt: Which?
    source: s
    {default}
    options:
      - {{value: old, label: Old way, code: M04.3}}
      - {{value: new, label: New way, code: M10.4, preferred: yes}}
procedures:
  - from: solution
"""


def test_a_preferred_option_comes_first_and_is_never_the_default() -> None:
    loaded = pack(PREFERRED.format(default=""))
    question = loaded.find_question("solution")
    assert [o.value for o in question.options] == ["new", "old"]
    assert question.options[0].preferred and question.default is None
    assert [p.answers["solution"] for p in enumerate_paths(loaded)] == ["new", "old"]
    with pytest.raises(PackError, match="preferred option has no default"):
        pack(PREFERRED.format(default="default: new"))


def test_cli_labels_the_preferred_option(capsys) -> None:
    code, out = run(capsys, "code", "IPG405")
    lines = out.splitlines()
    first = lines.index(next(line for line in lines if line.startswith("Next question")))
    assert "endoscopic" in lines[first + 1] and "(preferred by the guidance)" in lines[first + 1]
    assert "preferred" not in lines[first + 2]


# ---- position rules --------------------------------------------------------------------------

def test_position_rules_catch_a_reordered_sequence() -> None:
    spine = pack("procedures:\n  - code: V28.1\n  - code: V55.1\npositions:\n  - codes: [V55.-]\n"
                 "    place: 2\n    reason: levels go second\n")
    assert position_edits(spine, ["V28.1", "V55.1"]) == []
    moved = position_edits(spine, ["V28.1", "Z67.5", "V55.1"])
    assert [(r.id, r.position) for r in moved] == [("code-position", 3)]
    assert "must be in position 2" in moved[0].message
    after = pack("procedures:\n  - code: T57.8\n  - code: Y53.2\npositions:\n  - codes: Y53.2\n"
                 "    after: T57.8\n    reason: straight after the main code\n")
    assert position_edits(after, ["T57.8", "Y53.2", "Y39.8"]) == []
    assert position_edits(after, ["T57.8", "Y39.8", "Y53.2"])[0].position == 3


def test_the_linter_reports_a_pack_that_breaks_its_own_position_rule() -> None:
    broken = pack("procedures:\n  - code: V28.1\n  - code: Z67.5\n  - code: V55.1\npositions:\n"
                  "  - codes: [V55.-]\n    place: 2\n    reason: levels go second\n")
    assert any("code-position" in m.message for m in lint_pack(broken, None))
    with pytest.raises(PackError, match="exactly one of 'place'"):
        pack("procedures:\n  - code: V28.1\npositions:\n  - codes: [V55.-]\n    reason: r\n")


# ---- complete three-character ICD-10 codes ----------------------------------------------------

def test_three_character_codes_are_written_with_the_uk_filler() -> None:
    assert normalise_complete("C64X") == normalise_complete("c64.x") == normalise_complete("C64") == "C64"
    assert normalise_complete("C64.1") == "C64.1"
    loaded = pack("diagnoses:\n  - code: C64X\nprocedures:\n  - code: M10.4\n")
    assert evaluate(loaded, {}).diagnoses[0].code == "C64"


def test_the_linter_asks_the_classification_whether_three_characters_are_complete(catalog) -> None:
    complete = pack("diagnoses:\n  - code: C64X\nprocedures:\n  - code: M10.4\n")
    assert [m.message for m in lint_pack(complete, catalog)] == []
    split = pack("diagnoses:\n  - code: I48X\nprocedures:\n  - code: K62.5\n")
    assert any("I48 needs a 4th character: I48.0" in m.message for m in lint_pack(split, catalog))


# ---- SNOMED CT ---------------------------------------------------------------------------------

def test_code_json_carries_the_snomed_concepts(capsys) -> None:
    code, out = run(capsys, "code", "IPG8", "--json")
    data = json.loads(out)
    assert code == 0 and data["procedures"] == ["L88.2"]
    assert {(c["concept_id"], c["type"]) for c in data["snomed"]} == {("448606008", "procedure"),
                                                                       ("72866009", "diagnosis")}


def test_code_text_shows_the_snomed_concepts(capsys) -> None:
    code, out = run(capsys, "code", "IPG495")
    assert "SNOMED CT diagnosis: Hypertrophy of nasal turbinates (17467004)" in out


# ---- the CLI says it too -----------------------------------------------------------------------

def test_rules_list_and_show_carry_the_constructs(capsys) -> None:
    code, out = run(capsys, "rules", "list", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["IPG103"]["lifecycle"] == "replaced by IPG489 (May 2014)"
    assert rows["IPG445"]["scope"] == "the percutaneous approach with image guidance"
    assert rows["IPG75"]["lifecycle"] == "" and rows["IPG75"]["scope"] is None
    code, out = run(capsys, "rules", "show", "IPG365")
    assert "V55.- goes in position 2" in out and "Replaces IPG165 (March 2006)" in out


def test_code_outside_the_scope_hands_over_without_edits(capsys) -> None:
    code, out = run(capsys, "code", "IPG445", "--answer", "approach=other", "--json")
    data = json.loads(out)
    assert code == 0 and data["complete"] and data["procedures"] == [] and data["edits"] == []
    assert "covers only the percutaneous approach" in data["handover"]
    code, out = run(capsys, "code", "IPG270")
    assert "gives no fixed codes" in out and "All validation edits pass" not in out


# ---- issue 24: positions by chapter and with conditions, the episode's codes, groups of any kind ---

def test_a_position_rule_takes_a_chapter_and_ignores_its_own_codes_as_anchors() -> None:
    spine = pack("procedures:\n  - code: V33.8\n  - code: V55.1\npositions:\n  - codes: [V55.-]\n"
                 "    after: [V]\n    reason: levels follow each spinal operation\n")
    assert spine.positions[0].after == ("V",)
    assert position_edits(spine, ["V33.8", "V55.1", "Y53.4", "V38.8", "V55.1"]) == []
    # V55.1 after V55.1 is not "after a spinal operation": the rule's own codes are no anchor.
    assert [r.position for r in position_edits(spine, ["V33.8", "V55.1", "V55.2"])] == [3]
    assert "straight after a chapter V code" in position_edits(spine, ["V33.8", "Y53.4", "V55.1"])[0].message


def test_secondary_to_with_a_condition_on_the_episode() -> None:
    adenoids = pack("procedures:\n  - code: E20.4\npositions:\n  - codes: [E20.4]\n    secondary_to: [F34]\n"
                    "    when: {episode_has: [F34]}\n    reason: secondary to the tonsillectomy\n")
    rule = adenoids.positions[0]
    assert rule.secondary_to == ("F34.-",) and rule.when is not None
    assert position_edits(adenoids, ["E20.4"]) == []                    # no F34 in the episode
    assert position_edits(adenoids, ["F34.1", "Y08.3", "E20.4"]) == []  # anywhere after it
    assert "must come after F34.-" in position_edits(adenoids, ["E20.4", "F34.1"])[0].message


@pytest.mark.parametrize("body, message", [
    ("  - codes: [E20.4]\n    secondary_to: [F34]\n    place: 2\n", "exactly one of 'place'"),
    ("  - codes: [E20.4]\n    after: [F3x]\n", "'F3x' is not a chapter, category or code"),
    ("  - codes: [E20.4]\n    after: [F34]\n    when: big\n", "can only test the episode's codes"),
])
def test_a_position_rule_that_cannot_be_checked_is_refused(body: str, message: str) -> None:
    text = ("questions:\n  - id: big\n    kind: yesno\n    prompt: Big?\n    source: s\n"
            "procedures:\n  - code: E20.4\n  - code: F34.1\n    when: big\npositions:\n" + body + "    reason: r\n")
    with pytest.raises(PackError, match=message):
        pack(text)


def test_a_condition_on_the_episode_asks_or_skips_and_paths_try_both() -> None:
    text = ("questions:\n  - id: tonsils\n    kind: yesno\n    prompt: Tonsils out too?\n    source: s\n"
            "    when: {not: {episode_has: F34}}\nprocedures:\n  - code: F34.1\n    when: tonsils\n"
            "  - code: E20.4\nnotes:\n  - text: already coded\n    when: {episode_has: [F34]}\n")
    adenoids = pack(text)
    from workbench.core.rules.model import EpisodeCodes

    assert evaluate(adenoids, {}).next_question.id == "tonsils"
    with_f34 = evaluate(adenoids, {}, episode=EpisodeCodes(("F34.5",)))
    assert with_f34.complete and [e.code for e in with_f34.procedures] == ["E20.4"]
    assert with_f34.notes == ["already coded"]
    assert evaluate(adenoids, {}, episode=EpisodeCodes((), ("F34.1",))).next_question is not None   # ICD-10 F34
    paths = enumerate_paths(adenoids)
    assert [(p.context, p.procedures) for p in paths] == [((), ["F34.1", "E20.4"]), ((), ["E20.4"]),
                                                           (("F34.-",), ["E20.4"])]


@pytest.mark.parametrize("condition, message", [
    ("{episode_has: [F3]}", "takes chapters, categories or codes"),
    ("{episode_has: []}", "needs at least one"),
])
def test_a_malformed_episode_condition_is_refused(condition: str, message: str) -> None:
    with pytest.raises(PackError, match=message):
        pack(f"procedures:\n  - code: E20.4\n    when: {condition}\n")


def test_a_repeat_group_holds_code_questions_and_any_number_of_instances_pass() -> None:
    from workbench.core.rules import run_edits

    text = ("questions:\n  - group: ops\n    max: 4\n    questions:\n      - id: op\n        kind: code\n"
            "        prompt: Operation\n        source: s\n        scope: [V]\n        examples: [V25.2]\n"
            "      - id: level\n        kind: choice\n        prompt: Levels\n        source: s\n        options:\n"
            "          - {value: one, label: One, code: V55.1}\n          - {value: two, label: Two, code: V55.2}\n"
            "    another:\n      prompt: Another?\n      default: 'no'\n"
            "procedures:\n  - code: V38.8\n  - code: V55.1\n  - each: ops\n    items:\n      - from: op\n"
            "      - from: level\n")
    spinal = pack(text)
    for right in (["V38.8", "V55.1", "V25.2", "V55.2"],
                  ["V38.8", "V55.1", "V26.1", "V55.1", "V38.2", "V55.2", "V25.2", "V55.1", "V33.1", "V55.2"]):
        assert [r.id for r in run_edits(right, [], None, spinal) if r.severity == "error"] == [], right
    five = ["V38.8", "V55.1"] + ["V25.2", "V55.1"] * 5      # more instances than the group's max
    assert any(r.id.startswith("pack-") for r in run_edits(five, [], None, spinal))
    wrong = ["V38.8", "V55.1", "V25.2", "V55.3"]            # a level the group never gives
    assert any(r.id.startswith("pack-") for r in run_edits(wrong, [], None, spinal))
