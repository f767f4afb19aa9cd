"""Path tests for the second library batch, the 28 records written with the existing language (issue 15).

For each pack the expected final sequences are written by hand from the record's `logic`
(answers -> (procedures, diagnoses)) and compared with every path the engine enumerates:
nothing more, nothing less. Each pack must also lint cleanly and pass the validation edits with
the embedded classifications, and its guidance document must list the record's codes.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest

from tests.conftest import REPO_ROOT, SHARED_DIR
from tests.pack_paths import (
    Y53,
    Y95,
    Expected,
    assert_paths_match,
    key,
    one_question,
    pack,
    single,
)
from tests.test_rules_support import code_catalog
from workbench.core.classifications import ICD10, OPCS4
from workbench.core.guidance import load_guidance_file
from workbench.core.rules import enumerate_paths, run_edits
from workbench.core.rules.lint import lint_files
from workbench.core.rules.loader import PACKS_DIR

LIBRARY_2 = SHARED_DIR / "guidance-library" / "nice-ipg-coding-2.jsonl"
GUIDANCE_DIR = REPO_ROOT / "fixtures" / "guidance"














# ---- batch 1: fixed codes and single choices ----------------------------------------------------

LASER = {"prk": "C44.4", "lasek": "C44.5", "lasik": "C44.2"}

EXPECTED: dict[str, Expected] = {
    "IPG138": single(("M56.3",)),
    "IPG162": single(("W83.7", "Z84.6")),
    "IPG276": single(("H57.1", "Y50.2", "Z29.8")),
    "IPG358": single(("C44.4",)),
    "IPG404": single(("G46.1",)),
    # R15 (a complete three-character code) cannot be emitted yet: it is a note on the pack
    "IPG393": single(("H57.8",), ("R15",)),
    # both image control codes as listed; C61 is complete as it stands, as R15 is for IPG393
    "IPG424": single(("M71.1", "Y53.2", "Y53.7"), ("C61",)),
    "IPG431": {key(reflux="with_oesophagitis"): (("G24.8", "Y75.2"), ("K21.0",)),
               key(reflux="without_oesophagitis"): (("G24.8", "Y75.2"), ("K21.9",))},
    "IPG164": one_question("technique", LASER, ()),
    "IPG335": one_question("instrument", {"colonoscope": "H20.5", "flexible_sigmoidoscope": "H23.5",
                                          "rigid_sigmoidoscope": "H26.6"}, ()),
}
PARTIAL = {"IPG138"}
# Complete three-character diagnoses: emitted since the classification judges codability; both
# packs changed after the review, so they wait for another one.
THREE_CHARACTER_DIAGNOSIS = {"IPG393": "R15", "IPG424": "C61"}


# ---- batch 2: add-ons, 4th characters, open slots, optional diagnoses ---------------------------

def ipg155() -> Expected:
    s07 = {"whole_body": "S07.1", "other": "S07.8", "not_stated": "S07.9"}
    return {key(therapy=t, site=z): ((s, z), ()) for t, s in s07.items() for z in ("Z47.1", "Z50.1")}


def ipg407() -> Expected:
    g02 = {"pharynx_to_stomach": "G02.1", "micro_jejunum": "G02.2", "jejunum": "G02.3", "micro_colon": "G02.4",
           "colon": "G02.5", "other": "G02.8"}
    g03 = {"end_to_end": "G03.1", "micro_jejunum": "G03.2", "transposed_jejunum": "G03.3", "jejunum": "G03.4",
           "micro_colon": "G03.5", "colon": "G03.6", "other": "G03.8"}
    out: Expected = {key(extent="total", total_type=t): ((g, "Y74.4"), ()) for t, g in g02.items()}
    out.update({key(extent="partial", partial_type=t): ((g, "Y74.4"), ()) for t, g in g03.items()})
    return out


def ipg530() -> Expected:
    f32 = {"mild": "F32.0", "moderate": "F32.1", "severe": "F32.2", "severe_psychotic": "F32.3", "other": "F32.8",
           "unspecified": "F32.9"}
    f33 = {"mild": "F33.0", "moderate": "F33.1", "severe": "F33.2", "severe_psychotic": "F33.3",
           "remission": "F33.4", "other": "F33.8", "unspecified": "F33.9"}
    out: Expected = {key(depression="not_recorded"): (("A09.8",), ())}
    out.update({key(depression="episode", episode=v): (("A09.8",), (f,)) for v, f in f32.items()})
    out.update({key(depression="recurrent", recurrent=v): (("A09.8",), (f,)) for v, f in f33.items()})
    return out


EXPECTED.update({
    "IPG155": ipg155(),
    "IPG199": {key(gestational_age=a): (("R08.8", "Y33.8", "Y53.2", *y), ()) for a, y in Y95.items()},
    # same four codes as IPG392; read from a third-party copy of the 2012 list
    "IPG265": one_question("stent_procedure", {"not_endoscopic": "G21.5", "tubal_prosthesis": "G15.4",
                                               "expanding_metal": "G15.6", "covered_metal": "G15.7"}, ()),
    # the extraction code only when the lens was extracted in the same operation ("any concurrent extraction")
    "IPG272": {key(concurrent_extraction="no"): (("C75.1",), ("H35.3",)),
               **{key(concurrent_extraction="yes", extraction=c): (("C75.1", c), ("H35.3",)) for c in ("C71.2", "C74.3")}},
    "IPG312": {key(ultrasound="no"): (("T74.8", "Z58.1"), ("M76.6",)),
               key(ultrasound="yes"): (("T74.8", "Y53.2", "Z58.1"), ("M76.6",))},
    "IPG304": one_question("donor", {"heart_beating": "Y01.4", "heart_non_beating": "Y01.5",
                                     "cadaver_nos": "Y01.6"}, ("C44.3",)),
    "IPG384": {key(drainage=d): (("J57.6", "Y75.2", *j), ())
               for d, j in {"none": (), "cystogastrostomy_tube": ("J66.1",), "temporary_external_drain": ("J66.2",),
                            "other": ("J66.3",)}.items()},
    "IPG407": ipg407(),
    "IPG459": one_question("brachytherapy", {"high_dose": "Y89.1", "pulsed_dose": "Y89.2", "other": "Y89.8",
                                             "not_stated": "Y89.9"}, ("J12.3", "X65.3", "Y36.4"), ("Y53.4",)),
    "IPG530": ipg530(),
})
PARTIAL |= {"IPG265"}


# ---- batch 3: categories by fixation or excision, open diagnosis slots, stents, overflow sites ---

def ipg271() -> Expected:
    categories = {
        "cemented": ("cemented_type", {"conversion_from": "W43.0", "primary": "W43.1", "conversion_to": "W43.2",
                                       "revision": "W43.3", "revision_one_component": "W43.4", "other": "W43.8"}),
        "uncemented": ("uncemented_type", {"conversion_from": "W44.0", "primary": "W44.1", "conversion_to": "W44.2",
                                           "revision": "W44.3", "revision_one_component": "W44.4", "other": "W44.8"}),
        "other": ("other_type", {"conversion_from": "W45.0", "primary": "W45.1", "conversion_to": "W45.2",
                                 "revision": "W45.3", "attention": "W45.4", "revision_one_component": "W45.5",
                                 "other": "W45.8"}),
    }
    return {key(fixation=f, **{q: v}): ((w, "Z82.9"), ())
            for f, (q, codes) in categories.items() for v, w in codes.items()}


def ipg290() -> Expected:
    excisions = {
        "major": ("major_type", {"hemispherectomy": "A01.1", "total_lobectomy": "A01.2", "partial_lobectomy": "A01.3",
                                 "other": "A01.8"}),
        "lesion": ("lesion_site", {"frontal": "A02.1", "temporal": "A02.2", "parietal": "A02.3", "occipital": "A02.4",
                                   "cerebellum": "A02.5", "brain_stem": "A02.6", "dermoid": "A02.7", "other": "A02.8"}),
        "other_lesion": ("other_lesion_type", {"basal": "A06.1", "occipital": "A06.2", "syncipital": "A06.3",
                                               "meningoencephalocele": "A06.4", "other": "A06.8"}),
        "meninges": ("meninges_site", {"cortex": "A38.1", "sphenoidal_ridge": "A38.2", "subfrontal": "A38.3",
                                       "parasagittal": "A38.4", "falx": "A38.5", "tentorium": "A38.6",
                                       "other": "A38.8"}),
        "other_meninges": ("other_meninges_site", {"skull_base": "A43.1", "clivus": "A43.2", "other": "A43.8"}),
    }
    tumours: dict[tuple[tuple[str, str], ...], str] = {(("tumour", "secondary"),): "C79.3"}
    for v, c in {"cerebral": "C70.0", "spinal": "C70.1", "unspecified": "C70.9"}.items():
        tumours[(("tumour", "meninges"), ("meninges_tumour", v))] = c
    c71 = {"cerebrum": "C71.0", "frontal": "C71.1", "temporal": "C71.2", "parietal": "C71.3", "occipital": "C71.4",
           "ventricle": "C71.5", "cerebellum": "C71.6", "brain_stem": "C71.7", "overlapping": "C71.8",
           "unspecified": "C71.9"}
    for v, c in c71.items():
        tumours[(("tumour", "brain"), ("brain_tumour", v))] = c
    out: Expected = {}
    for (e, (q, codes)), (t, d) in itertools.product(excisions.items(), tumours.items()):
        for v, a in codes.items():
            out[key(excision=e, **{q: v}, **dict(t))] = ((a, "Y13.6"), (d,))
    return out


def ipg371() -> Expected:
    out: Expected = {}
    for m, y in Y53.items():
        out[key(image_control=m, embolism="no")] = (("K16.5", y), ("Q21.1",))
        for site in ("I63.4", "I74.3"):
            out[key(image_control=m, embolism="yes", embolism_site=site)] = (("K16.5", y), ("Q21.1", site))
    return out


def ipg382() -> Expected:
    imaging = {("ct",): ("Y53.3",), ("mri",): ("Y53.7",), ("ct", "mri"): ("Y53.3", "Y53.7")}
    out: Expected = {}
    for chosen, ys in imaging.items():
        out[key(image_control=list(chosen), pain_site_known="no")] = (("A09.1", *ys), ("R52.2",))
        for pain in (["M79.6"], ["M54.5"], ["M79.6", "M54.5"]):
            out[key(image_control=list(chosen), pain_site_known="yes", pain_codes=pain)] = (("A09.1", *ys),
                                                                                           tuple(pain))
    return out


def ipg429() -> Expected:
    # a known type whose number is not documented takes the category's unspecified code (issue 24)
    counted = {"metallic": ("L76.1", "L76.3", "L76.5", "L76.9"), "plastic": ("L76.2", "L76.4", "L76.6", "L76.9"),
               "drug_eluting": ("L89.5", "L89.1", "L89.3", "L89.9"), "coated": ("L89.6", "L89.2", "L89.4", "L89.9")}
    single_code = {"metallic_embolic": "L76.7", "other": "L76.8", "other_eluting_coated": "L89.8",
                   "not_stated": "L76.9"}
    out: Expected = {}
    for (a, lc), (m, y) in itertools.product({"carotid": "L31.4", "cerebral": "L35.3"}.items(), Y53.items()):
        for t, codes in counted.items():
            for n, c in zip(("one", "two", "three_or_more", "not_stated"), codes, strict=True):
                out[key(artery=a, type=t, number=n, image_control=m)] = ((lc, c, y), ("I67.2",))
        for t, c in single_code.items():
            out[key(artery=a, type=t, image_control=m)] = ((lc, c, y), ("I67.2",))
    return out


def ipg458() -> Expected:
    sites = {"anterior_cerebral": "Z35.1", "ophthalmic": "Z35.2", "anterior_communicating": "Z35.3",
             "middle_cerebral": "Z35.4", "posterior_cerebral": "Z35.5", "posterior_communicating": "Z35.6",
             "circle_of_willis": "Z35.7", "specified_cerebral": "Z35.8", "cerebral_nec": "Z35.9",
             "basilar": "O28.1", "specified_other": "O28.8", "other_nec": "O28.9"}
    return {key(image_control=m, artery=a): (("L71.2", y, z), ()) for m, y in Y53.items() for a, z in sites.items()}


J96 = {"acute": "J96.0", "chronic": "J96.1", "unspecified": "J96.9"}
EXPECTED.update({
    "IPG271": ipg271(),
    "IPG290": ipg290(),
    "IPG307": {key(respiratory_failure=r, neurological_disease=n): (("A70.1", "Y75.2", "Z53.1"), (j, n))
               for r, j in J96.items() for n in ("G12.2", "T91.3")},
    "IPG371": ipg371(),
    "IPG382": ipg382(),
    "IPG385": {key(technique=t, diagnoses=d): ((c,), tuple(d))
               for t, c in LASER.items() for d in (["H52.1"], ["Z94.7"], ["H52.1", "Z94.7"])},
    "IPG429": ipg429(),
    "IPG458": ipg458(),
})
PARTIAL |= {"IPG458"}


# ---- the tests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("guidance", sorted(EXPECTED))
def test_paths_match_the_hand_written_sequences(guidance: str) -> None:
    assert_paths_match(guidance, EXPECTED[guidance])


@pytest.mark.parametrize("guidance", sorted(EXPECTED))
def test_pack_lints_cleanly(guidance: str, request: pytest.FixtureRequest) -> None:
    catalog = code_catalog(request)
    count, messages = lint_files([PACKS_DIR / f"{guidance}.yaml"], catalog)
    assert count == 1
    # A code the list shows as long unrecorded (G02.4 last in 2017/18) is a warning for the
    # reviewer, not a defect: the reviewer kept it where the record offers it.
    assert [str(m) for m in messages if "retired or rare" not in m.message] == []


@pytest.mark.parametrize("guidance", sorted(EXPECTED))
def test_every_path_passes_the_edits(guidance: str, request: pytest.FixtureRequest) -> None:
    catalog = code_catalog(request)
    loaded = pack(guidance)
    paths = enumerate_paths(loaded, catalog)
    assert len(paths) == len(EXPECTED[guidance])
    for path in paths:
        found = run_edits(path.procedures, path.diagnoses, catalog, loaded)
        assert [r for r in found if r.id != "rarely-recorded"] == [], path.answers


# Reviewed path by path against the record by a second engineer (2026-11-29). These stay drafts:
# partial or copied sources (PARTIAL), the two changed after the review (THREE_CHARACTER_DIAGNOSIS),
# and IPG429, whose "number not documented" answer (issue 24) waits for a review of the change.
CHANGED_SINCE_REVIEW = {"IPG429"}
DRAFT = PARTIAL | set(THREE_CHARACTER_DIAGNOSIS) | CHANGED_SINCE_REVIEW


def test_review_counts() -> None:
    assert (len(EXPECTED) - len(DRAFT), len(DRAFT)) == (22, 6)


@pytest.mark.parametrize("guidance", sorted(EXPECTED))
def test_reviewed_packs_are_approved_and_the_rest_stay_drafts(guidance: str) -> None:
    loaded = pack(guidance)
    assert loaded.status == ("draft" if guidance in DRAFT else "approved")
    assert loaded.partial == (guidance in PARTIAL)
    assert bool(loaded.partial_reason) == loaded.partial
    assert loaded.source_url == f"https://www.nice.org.uk/guidance/{guidance.lower()}"


@pytest.mark.parametrize("guidance", sorted(THREE_CHARACTER_DIAGNOSIS))
def test_a_complete_three_character_diagnosis_is_coded_as_it_stands(guidance: str, catalog) -> None:
    loaded = pack(guidance)
    code = THREE_CHARACTER_DIAGNOSIS[guidance]
    assert all(path.diagnoses == [code] for path in enumerate_paths(loaded))
    assert catalog.judge(ICD10, code).codable


# ---- the guidance documents --------------------------------------------------------------------

SECTION = {"## Procedure codes": "procedure_codes", "## Diagnosis codes": "diagnosis_codes"}
# Copies of NICE's page: the document links NICE's own page instead of the copy.
COPIES = {"IPG265"}


def records() -> dict[str, dict]:
    if not LIBRARY_2.exists():
        pytest.skip("the shared guidance library is absent")
    rows = (json.loads(line) for line in LIBRARY_2.read_text(encoding="utf-8").splitlines() if line.strip())
    return {r["ipg"]: r for r in rows if r["ipg"] in EXPECTED}


def normalise(code: str) -> str:
    """The record's code as the document lists it: placeholders by their chapter letter, and the
    complete three-character ICD-10 codes without the ".X" the pages print."""
    if code.endswith(" (chapter)"):
        return code.split()[0]
    return code.removesuffix(".X")


def listed(ipg: str) -> dict[str, list[tuple[str, str]]]:
    """(code, title) of every "- " line under the two code headings, in order."""
    out: dict[str, list[tuple[str, str]]] = {"procedure_codes": [], "diagnosis_codes": []}
    current = None
    for line in (GUIDANCE_DIR / f"{ipg}.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = SECTION.get(line.strip())
        elif current and line.startswith("- "):
            code, _, title = line[2:].partition(" ")
            out[current].append((code, title))
    return out


def test_every_pack_here_has_a_record() -> None:
    assert set(records()) == set(EXPECTED)


@pytest.mark.parametrize("ipg", sorted(EXPECTED))
def test_document_front_matter_matches_the_record(ipg: str) -> None:
    doc = load_guidance_file(GUIDANCE_DIR / f"{ipg}.md")
    rec = records()[ipg]
    assert doc.id == ipg
    assert doc.title.lower()[:12] == rec["title"].lower()[:12]
    nice = f"https://www.nice.org.uk/guidance/{ipg.lower()}"
    assert doc.source_url == (nice if ipg in COPIES else rec["source_url"])
    assert "nice.org.uk" in doc.source_url
    assert doc.partial == (ipg in PARTIAL)
    assert bool(doc.partial_reason) == doc.partial
    assert doc.sections.get("description")


@pytest.mark.parametrize("ipg", sorted(EXPECTED))
def test_listed_codes_are_the_records_codes_in_order(ipg: str) -> None:
    rec = records()[ipg]
    codes = listed(ipg)
    for field in ("procedure_codes", "diagnosis_codes"):
        assert [c for c, _ in codes[field]] == [normalise(c["code"]) for c in rec[field]]


@pytest.mark.parametrize("ipg", sorted(EXPECTED))
def test_listed_titles_are_the_classifications_titles(ipg: str, request: pytest.FixtureRequest) -> None:
    catalog = code_catalog(request)
    for field, classification in (("procedure_codes", OPCS4), ("diagnosis_codes", ICD10)):
        for code, title in listed(ipg)[field]:
            if re.fullmatch(r"[A-Z]\d\d\.\d", code) or (classification == ICD10 and re.fullmatch(r"[A-Z]\d\d", code)
                                                        and catalog.exists(ICD10, code)):
                assert catalog.title(classification, code) == title, (classification, code)


@pytest.mark.parametrize("ipg", sorted(EXPECTED))
def test_documents_do_not_copy_the_source_text(ipg: str) -> None:
    text = " ".join((GUIDANCE_DIR / f"{ipg}.md").read_text(encoding="utf-8").lower().split())
    excerpt = records()[ipg].get("verbatim_excerpt") or ""
    for sentence in re.split(r"(?<=[.!?])\s+|\n", excerpt):
        words = sentence.split()
        if len(words) >= 12 and not re.match(r"^[A-Z]\d\d", sentence.strip()):
            assert " ".join(words).lower() not in text, sentence


@pytest.mark.parametrize("ipg", sorted(EXPECTED))
def test_documents_never_name_a_copy_site(ipg: str) -> None:
    text = (GUIDANCE_DIR / f"{ipg}.md").read_text(encoding="utf-8") + (PACKS_DIR / f"{ipg}.yaml").read_text(
        encoding="utf-8")
    for url in re.findall(r"https?://[^\s\"')]+", text):
        assert "nice.org.uk" in url.lower(), url
