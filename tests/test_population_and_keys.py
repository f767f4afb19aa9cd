"""Issue 23 item 7, moved to issue 24: the same answer has the same key in every pack, and a guidance
whose population excludes the patient (infants, children, women...) says so when the age or sex is known.
"""

from __future__ import annotations

import json

import pytest

from workbench.core.option_keys import KEY_SEQUENCE, key_problems, option_keys
from workbench.core.rules import PackError, find_pack, load_pack_text, population_caution
from workbench.core.rules.lint import lint_file
from workbench.core.rules.loader import PACKS_DIR, load_shipped

HEADER = 'id: IPG999\nguidance: IPG999\ntitle: Test\nversion: "1"\nstatus: draft\n'


def keys_of(guidance: str, question: str) -> dict[str, str]:
    q = find_pack(guidance).find_question(question)
    return {o.value: k for o, k in zip(q.options, option_keys(q), strict=True)}


# ---- option keys ---------------------------------------------------------------------------------

def test_image_control_has_the_same_keys_in_every_pack() -> None:
    assert keys_of("IPG655", "image_control") == {
        "radiological": "1", "ultrasonic": "2", "ct": "3", "fluoroscopic": "4", "image_intensifier": "5",
        "video": "6", "mri": "7", "other_y53": "8", "not_stated": "9", "none": "0", "contrast_ultrasound": "a",
        "other_y68": "b", "other_y68_not_stated": "c"}
    assert keys_of("IPG75", "image_control")["fluoroscopic"] == "4"
    # A pack offering two methods keeps their keys: fluoroscopy 4, not stated 9 (never 1 and 2).
    assert keys_of("IPG387", "image_control") == {"fluoroscopic": "4", "not_stated": "9"}
    assert keys_of("IPG382", "image_control") == {"ct": "3", "mri": "7"}


def test_every_shipped_pack_gives_each_fixed_answer_its_key() -> None:
    packs, errors = load_shipped()
    assert errors == []
    fixed = {"Y53.4": "4", "Y53.9": "9", "Y53.2": "2", "Z94.2": "1", "Z94.3": "2"}
    seen = set()
    for pack in packs.values():
        for question in pack.all_questions():
            keys = option_keys(question)
            for option, key in zip(question.options, keys, strict=True):
                if len(option.codes) == 1 and option.codes[0] in fixed:
                    assert key == fixed[option.codes[0]], (pack.id, question.id, option.value)
                    seen.add(option.codes[0])
                if option.value in ("none", "not_paired"):
                    assert key == "0", (pack.id, question.id)
                if option.value in ("not_stated", "not_documented", "not_recorded"):
                    assert key == "9", (pack.id, question.id)
            assert key_problems(question) == [], (pack.id, question.id)
    assert seen == set(fixed)


def test_laterality_and_the_other_answers() -> None:
    assert keys_of("IPG446", "side") == {"right": "1", "left": "2", "both": "3", "side_not_stated": "4",
                                         "not_paired": "0"}
    assert keys_of("IPG387", "levels") == {"one": "1", "not_stated": "9"}
    assert keys_of("IPG153", "stage") == {"first": "1", "subsequent": "2", "none": "0"}
    # Yes/no and plain choices keep 1, 2, 3 ...
    assert keys_of("IPG75", "stent") == {"yes": "1", "no": "2"}
    assert list(keys_of("IPG290", "brain_tumour").values()) == list(KEY_SEQUENCE[:10])


def options_pack(options: str) -> str:
    return HEADER + f"questions:\n  - id: image_control\n    kind: choice\n    prompt: Image control\n" \
                    f"    source: Y53.-\n    options:\n{options}procedures:\n  - code: K57.8\n  - from: image_control\n"


def test_the_linter_wants_the_keys_in_order_and_no_answer_twice(tmp_path, catalog) -> None:
    unordered = options_pack("      - {value: none, label: None}\n"
                             "      - {value: fluoroscopic, label: Fluoroscopy, code: Y53.4}\n"
                             "      - {value: not_stated, label: Not stated, code: Y53.9}\n")
    path = tmp_path / "IPG999.yaml"
    path.write_text(unordered, encoding="utf-8")
    messages = [m for m in lint_file(path, catalog) if m.severity == "error"]
    assert any("not listed in key order (0 none, 4 fluoroscopic, 9 not_stated)" in m.message and m.line == 7
               for m in messages), messages
    twice = options_pack("      - {value: fluoroscopic, label: Fluoroscopy, code: Y53.4}\n"
                         "      - {value: fluoroscopy, label: Fluoroscopy again, code: Y53.4}\n")
    path.write_text(twice, encoding="utf-8")
    messages = [m for m in lint_file(path, catalog) if m.severity == "error"]
    assert any("options 'fluoroscopic' and 'fluoroscopy' of 'image_control' both mean" in m.message
               for m in messages), messages
    # The second keeps a key of its own, so both can still be answered.
    pack = load_pack_text(twice, str(path))
    assert option_keys(pack.find_question("image_control")) == ["4", "1"]


def test_workbench_code_shows_the_keys(capsys, catalog) -> None:
    from workbench.cli import main

    assert main(["code", "IPG387"]) == 0
    out = capsys.readouterr().out
    assert "  [1] one: One level (V55.1)" in out and "  [9] not_stated: Levels not stated (V55.9)" in out


# ---- population ------------------------------------------------------------------------------------

def test_a_guidance_for_infants_says_so_for_an_adult() -> None:
    ipg75 = find_pack("IPG75")
    caution = population_caution(ipg75, None, 58)
    assert caution.startswith("IPG75 is for infants (aged 1 or under); this patient is aged 58.")
    assert population_caution(ipg75, "male", 0) == population_caution(ipg75, None, 1) == ""
    assert population_caution(ipg75, None, None) == ""           # nothing known: nothing said
    assert population_caution(find_pack("IPG655"), "female", 58) == ""   # no population named


def test_sex_children_and_adults() -> None:
    assert "this patient is male" in population_caution(find_pack("IPG62"), "male", 30)
    assert population_caution(find_pack("IPG62"), "female", 30) == ""
    assert "IPG193 is for men (male); this patient is female" in population_caution(find_pack("IPG193"), "female", 60)
    assert "aged 40" in population_caution(find_pack("IPG50"), None, 40)
    assert "IPG391 is for adults (aged 18 or over); this patient is aged 9" in population_caution(
        find_pack("IPG391"), None, 9)
    both = population_caution(find_pack("IPG262"), "male", 40)
    assert "is for women (female)" in both and "male" in both


@pytest.mark.parametrize("text, message", [
    ("population: {who: infants}\n", "population needs an age range or a sex"),
    ("population: {who: adults, age: {min: 18, max: 2}}\n", "population: age should be a range"),
    ("population: {who: women, sex: f2}\n", "population: sex should be female or male"),
    ("population: {age: {max: 1}}\n", "population is missing 'who'"),
])
def test_a_population_that_cannot_be_checked_is_refused(text: str, message: str) -> None:
    with pytest.raises(PackError, match=message) as raised:
        load_pack_text(HEADER + text + "procedures:\n  - code: K57.8\n", "IPG999.yaml")
    assert raised.value.line == 6


def test_workbench_code_with_age_and_sex(capsys, catalog) -> None:
    from workbench.cli import main

    answers = ["-a", "stent=no", "-a", "cutting_balloon=no", "-a", "image_control=not_stated"]
    assert main(["code", "IPG75", "--age", "58", *answers]) == 0
    assert "Caution: IPG75 is for infants (aged 1 or under); this patient is aged 58." in capsys.readouterr().out
    assert main(["code", "IPG75", "--age", "0", "--json", *answers]) == 0
    assert json.loads(capsys.readouterr().out)["population"] is None
    assert main(["code", "IPG62", "--sex", "m", "--json"]) == 0
    assert "is for women" in json.loads(capsys.readouterr().out)["population"]
    assert main(["code", "IPG62", "--sex", "nobody"]) == 2
    assert "sex: give male or female" in capsys.readouterr().err


def test_log_add_notes_the_population(capsys, catalog, tmp_path, monkeypatch) -> None:
    import io

    from workbench.cli import main

    details = "patient=P58\nepisode=E1\ndate=2025-11-14\nage=58\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(details))
    code = main(["--log", str(tmp_path / "log.db"), "log", "add", "--details", "-", "--guidance", "IPG75",
                 "--answer", "stent=no", "--answer", "cutting_balloon=no", "--answer", "image_control=not_stated",
                 "--diagnoses", "I27.8"])
    err = capsys.readouterr().err
    assert code == 0 and "note: IPG75 is for infants (aged 1 or under); this patient is aged 58." in err
    assert "P58" not in err                                       # identifiers never printed


def test_the_packs_that_name_their_population() -> None:
    named = {p.guidance_id: p.population.who for p in load_shipped()[0].values() if p.population}
    assert named["IPG75"] == "infants" and named["IPG50"] == "children" and named["IPG391"] == "adults"
    assert {"IPG62", "IPG262", "IPG160", "IPG193", "IPG424"} <= set(named)
    assert all(line.count("population:") <= 1 for line in [(PACKS_DIR / "IPG75.yaml").read_text()])
