"""The treatment catalogue texts: complete, readable by patients, and in our own words.

No database and no Django: the catalogue is a plain data module.
"""

import ast
import re
from functools import cache
from pathlib import Path

import pytest
import textstat

from tests.guide import guide_text
from treatments import catalogue
from treatments.catalogue import HANDOUTS, TREATMENT_CATALOGUE

COPY_RUN_WORDS = 8
# Patients read what we give them at a US school grade of 8 or lower (Flesch-Kincaid).
PATIENT_READING_GRADE = 8

CODES = ("extraction", "chemical_peel", "topical_retinoid", "cryotherapy", "co2_laser")
TEXT_FIELDS = (
    "code",
    "name",
    "patient_name",
    "summary",
    "how_it_works",
    "who_it_is_for",
    "what_to_expect",
    "typical_course",
    "patient_what_was_done",
    "patient_what_to_expect",
)
LIST_FIELDS = ("patient_do", "patient_dont", "patient_call_us")
COURSE_FIELDS = ("default_sessions", "default_interval_weeks")
# The patient texts whose reading grade is measured. `patient_name` is left out on purpose: it is
# a label of a few words with the clinical term in brackets ("Freezing treatment (cryotherapy)"),
# and a Flesch-Kincaid grade of a three-word label measures nothing.
GRADED_PATIENT_FIELDS = (
    "patient_what_was_done",
    "patient_what_to_expect",
    "patient_do",
    "patient_dont",
    "patient_call_us",
)
# How many sentences each prose field holds, as (fewest, most).
SENTENCE_COUNTS = {
    "summary": (1, 1),
    "how_it_works": (2, 4),
    "who_it_is_for": (1, 3),
    "what_to_expect": (2, 4),
    "patient_what_was_done": (1, 3),
}

ENTRIES = {entry["code"]: entry for entry in TREATMENT_CATALOGUE}


def _joined(value):
    return " ".join(value) if isinstance(value, tuple) else value


def _words(text):
    """Lower-case words with punctuation stripped; "don’t" gives "dont", "4–6" gives "4", "6"."""
    text = text.lower().replace("\u2019", "").replace("\u2018", "").replace("'", "")
    return re.findall(r"[a-z0-9]+", text)


def _runs(text, length=COPY_RUN_WORDS):
    words = _words(text)
    return {tuple(words[i : i + length]) for i in range(len(words) - length + 1)}


@cache
def _guide_runs_of(text):
    return frozenset(_runs(text))


def _guide_runs():
    return _guide_runs_of(guide_text())


def _copied_runs(text):
    return sorted(" ".join(run) for run in _runs(text) & _guide_runs())


def _fk_grade(text):
    try:
        return textstat.flesch_kincaid_grade(text)
    except LookupError as error:  # textstat >= 0.7.9 fetches NLTK's cmudict at first use
        pytest.fail(f"textstat cannot count syllables offline; pin textstat==0.7.8 ({error})")


def _all_texts():
    for entry in TREATMENT_CATALOGUE:
        for field in TEXT_FIELDS + LIST_FIELDS:
            yield f"{entry['code']}.{field}", _joined(entry[field])
    for handout in HANDOUTS:
        yield f"handout.{handout['slug']}.title", handout["title"]
        for number, paragraph in enumerate(handout["body"], start=1):
            yield f"handout.{handout['slug']}.body[{number}]", paragraph


ALL_TEXTS = tuple(_all_texts())


def test_catalogue_codes_are_the_five_treatments_in_order():
    assert tuple(entry["code"] for entry in TREATMENT_CATALOGUE) == CODES


def test_catalogue_module_imports_nothing():
    tree = ast.parse(Path(catalogue.__file__).read_text(encoding="utf-8"))

    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]

    assert imports == []


@pytest.mark.parametrize("code", CODES)
def test_catalogue_entry_has_exactly_the_expected_keys(code):
    assert set(ENTRIES[code]) == set(TEXT_FIELDS + LIST_FIELDS + COURSE_FIELDS)


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_catalogue_text_field_is_a_non_empty_string(code, field):
    value = ENTRIES[code][field]

    assert isinstance(value, str)
    assert value.strip() == value
    assert value != ""


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("field", LIST_FIELDS)
def test_catalogue_list_field_is_a_non_empty_tuple_of_sentences(code, field):
    value = ENTRIES[code][field]

    assert isinstance(value, tuple)
    assert value != ()
    for sentence in value:
        assert isinstance(sentence, str)
        assert sentence.strip() == sentence
        assert sentence.endswith(".")


@pytest.mark.parametrize(
    ("code", "sessions", "interval_weeks"),
    [
        ("extraction", 1, None),
        ("chemical_peel", 4, 3),
        ("topical_retinoid", None, None),
        ("cryotherapy", 1, None),
        ("co2_laser", 1, None),
    ],
)
def test_catalogue_default_course(code, sessions, interval_weeks):
    entry = ENTRIES[code]

    assert (entry["default_sessions"], entry["default_interval_weeks"]) == (
        sessions,
        interval_weeks,
    )


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("field", sorted(SENTENCE_COUNTS))
def test_catalogue_prose_field_has_the_expected_number_of_sentences(code, field):
    fewest, most = SENTENCE_COUNTS[field]

    sentences = len(re.findall(r"[.!?](?=\s|$)", ENTRIES[code][field]))

    assert fewest <= sentences <= most


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("field", GRADED_PATIENT_FIELDS)
def test_patient_text_reads_at_or_below_target_grade(code, field):
    text = _joined(ENTRIES[code][field])

    grade = _fk_grade(text)

    assert grade <= PATIENT_READING_GRADE, f"{code}.{field} reads at grade {grade:.1f}"


def test_handout_why_not_at_home_exists():
    handouts = {handout["slug"]: handout for handout in HANDOUTS}

    handout = handouts["why-not-at-home"]

    assert tuple(handouts) == ("why-not-at-home",)
    assert handout["title"] == "Why milia should not be squeezed at home"
    assert isinstance(handout["body"], tuple)
    assert len(handout["body"]) >= 3
    assert all(isinstance(paragraph, str) and paragraph for paragraph in handout["body"])


@pytest.mark.parametrize("handout", HANDOUTS, ids=lambda handout: handout["slug"])
def test_handout_reads_at_or_below_target_grade(handout):
    text = " ".join((handout["title"] + ".", *handout["body"]))

    grade = _fk_grade(text)

    assert grade <= PATIENT_READING_GRADE, f"{handout['slug']} reads at grade {grade:.1f}"


def test_guide_runs_detect_a_sentence_pasted_from_the_guide():
    pasted = "Afterward, the area may be slightly red for an hour or so, but this subsides quickly."

    assert _copied_runs(pasted) != []


def test_guide_runs_ignore_case_punctuation_and_apostrophe_style():
    pasted = "UNLIKE a regular pimple or blackhead -- milia aren't caused by clogged pores!"

    assert _copied_runs(pasted) == [
        "a regular pimple or blackhead milia arent caused",
        "or blackhead milia arent caused by clogged pores",
        "pimple or blackhead milia arent caused by clogged",
        "regular pimple or blackhead milia arent caused by",
        "unlike a regular pimple or blackhead milia arent",
    ]


@pytest.mark.parametrize(("label", "text"), ALL_TEXTS, ids=[label for label, _ in ALL_TEXTS])
def test_catalogue_text_copies_no_run_of_words_from_the_guide(label, text):
    assert _copied_runs(text) == [], f"{label} copies the guide"
