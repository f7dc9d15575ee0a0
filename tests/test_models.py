from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.factories import make_consultation, make_patient, make_planned, make_site
from treatments.models import EYE_AREA_LOCATIONS, Location, Session

pytestmark = pytest.mark.django_db


def assert_refused_by_database(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.mark.parametrize("count", [0])
def test_site_count_below_one_is_refused_by_database(dermatologist, count):
    consultation = make_consultation(clinician=dermatologist)
    assert_refused_by_database(lambda: make_site(consultation, count=count))


@pytest.mark.parametrize("largest_mm", [Decimal("0"), Decimal("-1.5")])
def test_site_diameter_not_positive_is_refused_by_database(dermatologist, largest_mm):
    consultation = make_consultation(clinician=dermatologist)
    assert_refused_by_database(lambda: make_site(consultation, largest_mm=largest_mm))


def test_site_negative_months_is_refused_by_database(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    assert_refused_by_database(lambda: make_site(consultation, months_present=-1))


def test_site_same_location_and_side_twice_is_refused_by_database(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left")
    assert_refused_by_database(lambda: make_site(consultation, location="eyelid", side="left"))


def test_site_same_location_other_side_is_accepted(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left")
    make_site(consultation, location="eyelid", side="right")
    assert consultation.sites.count() == 2


@pytest.mark.parametrize("fitzpatrick", [0, 7])
def test_patient_fitzpatrick_outside_1_to_6_is_refused_by_database(fitzpatrick):
    assert_refused_by_database(lambda: make_patient(fitzpatrick=fitzpatrick))


@pytest.mark.parametrize("fitzpatrick", [None, 1, 6])
def test_patient_fitzpatrick_in_range_or_unknown_is_accepted(fitzpatrick):
    assert make_patient(fitzpatrick=fitzpatrick).fitzpatrick == fitzpatrick


def test_patient_record_number_is_unique_in_database():
    make_patient(medical_record_number="MRN-1")
    assert_refused_by_database(lambda: make_patient(medical_record_number="MRN-1"))


def test_patient_blank_record_number_is_refused_by_database():
    assert_refused_by_database(lambda: make_patient(medical_record_number=""))


def test_consultation_signed_without_time_is_refused_by_database(dermatologist):
    assert_refused_by_database(
        lambda: make_consultation(clinician=dermatologist, status="signed", signed_at=None)
    )


def test_session_done_without_who_is_refused_by_database(dermatologist):
    from django.utils import timezone

    planned = make_planned(make_consultation(clinician=dermatologist), scheduled=0)
    assert_refused_by_database(
        lambda: Session.objects.create(
            planned_treatment=planned, number=1, done_at=timezone.now(), done_by=None
        )
    )


def test_eye_area_is_exactly_eyelid_and_periorbital():
    assert {Location.EYELID, Location.PERIORBITAL} == EYE_AREA_LOCATIONS


def test_site_eye_area_property_follows_location(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    eyelid = make_site(consultation, location="eyelid")
    cheek = make_site(consultation, location="cheek")
    assert (eyelid.eye_area, cheek.eye_area) == (True, False)


def test_site_str_reads_as_words(dermatologist):
    site = make_site(make_consultation(clinician=dermatologist), location="eyelid", side="left")
    assert str(site) == "Left eyelid"
