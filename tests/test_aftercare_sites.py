"""Aftercare texts fit the treated sites (DESIGN §3a, issue 10): a line tagged for the eye area,
the face or the body prints only when a treated site is there; the 2026.2 texts say what the
labels say, and a catalogue loaded under 2026.1 is brought up to date without losing edits."""

import importlib

import pytest
from django.apps import apps

from tests.factories import make_course
from tests.test_aftercare import PATIENT_READING_GRADE, fetched, fk_grade
from treatments import aftercare
from treatments.models import Handout, Treatment

pytestmark = pytest.mark.django_db

EYE_CALL = "Call us right away if your eye hurts or your sight changes."


def _sheet(clinician, code, sites):
    return aftercare.sheet_for(fetched(make_course(clinician, code=code, sites=sites)))


def _all_lines(sheet):
    return (*sheet.do, *sheet.dont, *sheet.call_us)


@pytest.mark.parametrize("code", ["extraction", "chemical_peel", "co2_laser"])
def test_sheet_for_cheeks_says_nothing_of_the_eye(dermatologist, code):
    sheet = _sheet(dermatologist, code, (("cheek", "bilateral"),))

    assert [line for line in _all_lines(sheet) if "eye" in line.lower()] == []


@pytest.mark.parametrize("code", ["extraction", "chemical_peel", "co2_laser"])
def test_sheet_for_an_eyelid_carries_the_eye_warning_once_without_its_tag(dermatologist, code):
    sheet = _sheet(dermatologist, code, (("eyelid", "left"), ("cheek", "left")))

    assert [line for line in sheet.call_us if "eye" in line] == [EYE_CALL]


def test_retinoid_sheet_warns_about_pregnancy_and_the_eyes_wherever_it_is_used(dermatologist):
    sheet = _sheet(dermatologist, "topical_retinoid", (("arm", "left"),))

    assert "If you are pregnant, or trying to be, stop the cream and call us." in sheet.call_us
    assert (
        "Keep the cream out of your eyes. Do not put it on the edges of your eyelids." in sheet.dont
    )
    assert "working" not in sheet.what_to_expect


@pytest.mark.parametrize(
    ("site", "face_line", "body_line"),
    [(("forehead", "midline"), True, False), (("trunk", "midline"), False, True)],
)
def test_retinoid_sheet_face_and_body_lines_follow_the_sites(
    dermatologist, site, face_line, body_line
):
    sheet = _sheet(dermatologist, "topical_retinoid", (site,))

    assert (
        "Use a pea-sized amount for your whole face." in sheet.do,
        "Use a thin layer, only on the skin we showed you." in sheet.do,
    ) == (face_line, body_line)


def test_cryotherapy_sheet_says_pale_marks_can_last(dermatologist):
    sheet = _sheet(dermatologist, "cryotherapy", (("forehead", "midline"),))

    assert "a pale mark can last" in sheet.what_to_expect
    assert "smooth" not in sheet.what_to_expect


def test_handout_does_not_say_creams_do_not_work(dermatologist):
    text = Handout.objects.get(slug=aftercare.WHY_NOT_AT_HOME).body

    assert "Acne creams do not work" not in text
    assert "Some creams from your doctor can help over time" in text


@pytest.mark.parametrize(
    "sites",
    [(("eyelid", "left"),), (("cheek", "left"),), (("trunk", "midline"), ("forehead", "midline"))],
)
@pytest.mark.parametrize("code", ["extraction", "chemical_peel", "topical_retinoid", "co2_laser"])
def test_every_site_variant_of_a_sheet_reads_at_grade_8_or_lower(dermatologist, code, sites):
    sheet = _sheet(dermatologist, code, sites)

    assert fk_grade(sheet.patient_text) <= PATIENT_READING_GRADE


def test_lines_for_sites_keeps_untagged_lines_and_unknown_brackets():
    text = "[eye] Eye line\nPlain line\n[face]Face line\n[knee] Not a tag"

    assert aftercare.lines_for_sites(text, frozenset({"cheek"})) == (
        "Plain line",
        "Face line",
        "[knee] Not a tag",
    )


# --- The 2026.2 catalogue migration --------------------------------------------------------

migration = importlib.import_module("treatments.migrations.0007_catalogue_2026_2")


def test_catalogue_migration_updates_2026_1_texts_once(dermatologist):
    peel = Treatment.objects.get(code="chemical_peel")
    peel.patient_call_us = f"Call us if the redness spreads.\n{migration.EYE_LINE_2026_1}"
    peel.save()
    cryotherapy = Treatment.objects.get(code="cryotherapy")
    cryotherapy.patient_what_to_expect = (
        "It will fall off. The bump comes away with it, and the skin below should be smooth."
    )
    cryotherapy.save()

    migration.update_catalogue(apps, None)
    migration.update_catalogue(apps, None)

    peel.refresh_from_db()
    cryotherapy.refresh_from_db()
    assert peel.patient_call_us == f"Call us if the redness spreads.\n{migration.EYE_LINE}"
    assert cryotherapy.patient_what_to_expect == (
        "It will fall off. The bump comes away with it. The skin there may look paler than the "
        "skin around it, and a pale mark can last."
    )


def test_catalogue_migration_leaves_a_text_the_clinic_rewrote(dermatologist):
    peel = Treatment.objects.get(code="chemical_peel")
    peel.patient_call_us = "Ring the clinic with any worry."
    peel.save()

    migration.update_catalogue(apps, None)

    peel.refresh_from_db()
    assert peel.patient_call_us == "Ring the clinic with any worry."
