from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CheckConstraint, UniqueConstraint

from tests.factories import make_consultation, make_patient, make_planned, make_site
from treatments import rules
from treatments.models import (
    EYE_AREA_LOCATIONS,
    Depth,
    LesionSite,
    Location,
    MiliaType,
    Patient,
    Session,
    Side,
    TreatmentCode,
)

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


@pytest.mark.parametrize(
    ("location", "side", "words"),
    [
        ("cheek", "bilateral", "Cheek (both sides)"),
        ("perioral", "midline", "Perioral area"),
        ("other", "right", "Right unlisted area"),
    ],
)
def test_site_str_names_the_site_as_the_rules_do(dermatologist, location, side, words):
    site = make_site(make_consultation(clinician=dermatologist), location=location, side=side)
    assert str(site) == words


# --- One vocabulary ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choices", "labels"),
    [
        (TreatmentCode, rules.TREATMENT_LABELS),
        (Location, rules.LOCATION_LABELS),
        (Side, rules.SIDE_LABELS),
        (Depth, rules.DEPTH_LABELS),
        (MiliaType, rules.MILIA_TYPE_LABELS),
    ],
)
def test_choices_are_the_vocabularys_codes_and_labels(choices, labels):
    assert choices.choices == list(labels.items())


def test_choices_labels_read_as_written():
    assert (
        Location.PERIORAL.label,
        Location.OTHER.label,
        Side.BILATERAL.label,
        TreatmentCode.EXTRACTION.label,
    ) == ("Perioral area", "Unlisted area", "Both sides", "Mechanical extraction")


def test_site_fields_refuse_what_the_rules_refuse(dermatologist):
    site = LesionSite(
        consultation=make_consultation(clinician=dermatologist),
        location="cheek",
        side="left",
        count=10_001,
        largest_mm=Decimal("100.1"),
        months_present=1201,
    )
    with pytest.raises(ValidationError) as refused:
        site.full_clean()
    assert sorted(refused.value.message_dict) == ["count", "largest_mm", "months_present"]


def test_patient_fitzpatrick_field_refuses_a_type_beyond_vi():
    patient = make_patient()
    patient.fitzpatrick = 7
    with pytest.raises(ValidationError) as refused:
        patient.full_clean()
    assert refused.value.message_dict["fitzpatrick"] == [
        "Choose a skin type from I to VI, or none."
    ]


def test_site_same_location_and_side_is_refused_in_words_by_model_validation(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="cheek", side="bilateral")
    twin = LesionSite(
        consultation=consultation,
        location="cheek",
        side="bilateral",
        count=1,
        largest_mm=Decimal("1.0"),
        months_present=1,
    )
    with pytest.raises(ValidationError) as refused:
        twin.full_clean()
    assert refused.value.message_dict == {
        "side": [
            "The cheek (both sides) is already charted in this consultation: "
            "edit that site instead."
        ]
    }


def test_patient_blank_record_number_is_refused_in_words_by_its_constraint():
    patient = Patient(medical_record_number="")
    constraint = next(
        c for c in Patient._meta.constraints if c.name == "patient_record_number_not_blank"
    )
    with pytest.raises(ValidationError) as refused:
        constraint.validate(Patient, patient)
    assert refused.value.messages == ["Enter the record number."]


def test_every_constraint_says_what_it_refuses():
    from django.apps import apps

    generic = [
        f"{model.__name__}.{constraint.name}"
        for model in apps.get_app_config("treatments").get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, CheckConstraint | UniqueConstraint)
        and constraint.violation_error_message == constraint.default_violation_error_message
    ]
    assert generic == []
