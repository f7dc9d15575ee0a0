"""A consultation's date lies within the patient's life, checked whoever writes it (the record's
``clean``, so the services and the admin too), against today in the clinic's time zone; and its
diagnosis code is recorded, from the clinic's setting, and shown wherever it is described."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import make_consultation, make_course, make_patient, make_site, sign
from treatments import aftercare, services
from treatments.models import Consultation

pytestmark = pytest.mark.django_db

FUTURE = "The consultation cannot be dated in the future."
BEFORE_BIRTH = "The consultation cannot be dated before the patient's birth."


# --- The date ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("clinic_zone", "errors"), [
    ("Etc/GMT-14", {}),  # UTC+14: that day has already come
    ("Etc/GMT+12", {"date": [FUTURE]}),  # UTC-12: that day is still tomorrow
])  # fmt: skip
def test_consultation_date_is_checked_against_today_in_the_clinics_time_zone(
    dermatologist, settings, clinic_zone, errors
):
    # UTC+14 is always at least a day ahead of UTC-12: the day after UTC-12's today has
    # begun at UTC+14, whatever the hour.
    day = datetime.now(ZoneInfo("Etc/GMT+12")).date() + timedelta(days=1)
    settings.TIME_ZONE = clinic_zone
    consultation = Consultation(patient=make_patient(), clinician=dermatologist, date=day)

    try:
        consultation.full_clean()
        found = {}
    except ValidationError as refused:
        found = refused.message_dict

    assert found == errors


@pytest.mark.parametrize(("day", "message"), [
    (date(2031, 1, 1), FUTURE),
    (date(1989, 12, 31), BEFORE_BIRTH),
])  # fmt: skip
def test_consultation_create_refuses_a_date_outside_the_patients_life(dermatologist, day, message):
    patient = make_patient(date_of_birth=date(1990, 1, 1))

    with pytest.raises(ValidationError) as refused:
        services.consultation_create(patient=patient, clinician=dermatologist, date=day)

    assert refused.value.message_dict == {"date": [message]}
    assert Consultation.objects.count() == 0


def test_consultation_create_accepts_the_birth_date_and_today(dermatologist):
    patient = make_patient(date_of_birth=date(1990, 1, 1))

    days = [
        services.consultation_create(patient=patient, clinician=dermatologist, date=day).date
        for day in (date(1990, 1, 1), timezone.localdate())
    ]

    assert days == [date(1990, 1, 1), timezone.localdate()]


def test_consultation_update_refuses_a_future_date_and_changes_nothing(dermatologist):
    consultation = make_consultation(clinician=dermatologist, date=date(2026, 1, 5))

    with pytest.raises(ValidationError) as refused:
        services.consultation_update(
            consultation_id=consultation.pk, version=1, date=date(2031, 1, 1)
        )

    consultation.refresh_from_db()
    assert refused.value.message_dict == {"date": [FUTURE]}
    assert (consultation.date, consultation.version) == (date(2026, 1, 5), 1)


def test_consultation_details_with_a_future_date_are_refused_on_the_page(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist, date=date(2026, 1, 5))

    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/edit/",
        {"date": "2031-01-01", "milia_type": "primary", "version": "1"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 400
    # The details form is part of the chart fragment, a Jinja2 template: read from its markup.
    assert re.findall(r'<div id="(\w+)_error" class="invalid-feedback">', html) == ["id_date"]
    assert f'<a class="alert-link" href="#id_date">Date</a>: {FUTURE}' in html
    consultation.refresh_from_db()
    assert consultation.date == date(2026, 1, 5)


# --- The diagnosis code ------------------------------------------------------------------------


def test_a_new_consultation_records_the_clinics_diagnosis_code(dermatologist, settings):
    settings.MILIA_ICD10_CODE = "L72.8"

    consultation = services.consultation_create(
        patient=make_patient(), clinician=dermatologist, date=date(2026, 1, 5)
    )

    consultation.refresh_from_db()
    assert consultation.diagnosis_code == "L72.8"


@pytest.mark.parametrize("code", ["L72", "L72.0", "L72.8", "S52.521A"])
def test_consultation_accepts_an_icd10cm_code(dermatologist, code):
    make_consultation(clinician=dermatologist, diagnosis_code=code).full_clean()


@pytest.mark.parametrize("code", ["", "milia", "l72.0", "L72.", "72.0", "L72.00000"])
def test_consultation_refuses_what_is_not_an_icd10cm_code(dermatologist, code):
    consultation = make_consultation(clinician=dermatologist)
    consultation.diagnosis_code = code

    with pytest.raises(ValidationError) as refused:
        consultation.full_clean()

    assert list(refused.value.message_dict) == ["diagnosis_code"]


def test_consultation_update_changes_the_diagnosis_code(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)

    dermatologist_client.post(
        f"/consultations/{consultation.pk}/edit/",
        {"date": "2026-01-05", "milia_type": "primary", "diagnosis_code": "l72.8",
         "version": "1"},
    )  # fmt: skip

    consultation.refresh_from_db()
    assert consultation.diagnosis_code == "L72.8"


def test_the_consultation_page_shows_the_diagnosis_code_draft_and_signed(
    dermatologist_client, dermatologist
):
    draft = make_consultation(clinician=dermatologist, diagnosis_code="L72.8")
    signed = make_consultation(clinician=dermatologist)
    make_site(signed)
    sign(signed)

    draft_page = dermatologist_client.get(f"/consultations/{draft.pk}/").content.decode()
    signed_page = dermatologist_client.get(f"/consultations/{signed.pk}/").content.decode()

    assert 'name="diagnosis_code" value="L72.8"' in draft_page
    assert (
        '<dt class="col-sm-3">Diagnosis code</dt><dd class="col-sm-9">L72.0 (ICD-10-CM)</dd>'
        in signed_page
    )


def test_the_aftercare_sheet_names_the_condition_and_its_code(staff_client, dermatologist):
    planned = make_course(dermatologist)

    html = staff_client.get(f"/planned/{planned.pk}/aftercare/").content.decode()
    sheet = aftercare.sheet_for(aftercare.sheet_queryset().get(pk=planned.pk))

    assert sheet.diagnosis == "Milia (diagnosis code L72.0)"
    assert '<p class="sheet-kind">Your aftercare sheet · Milia (diagnosis code L72.0)</p>' in html
