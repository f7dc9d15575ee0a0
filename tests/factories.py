"""Plain `make_*` builders for tests: explicit defaults, override what the test is about."""

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from treatments.models import Consultation, LesionSite, Patient, TriedTreatment

_counter = {"patient": 0}


def make_user(username, role=None, *, password="a-long-test-password", **fields):
    user = get_user_model().objects.create_user(username=username, password=password, **fields)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_patient(**fields):
    _counter["patient"] += 1
    defaults = {
        "medical_record_number": f"MRN{_counter['patient']:06d}",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "date_of_birth": date(1990, 5, 17),
    }
    return Patient.objects.create(**(defaults | fields))


def make_consultation(*, patient=None, clinician, **fields):
    return Consultation.objects.create(
        patient=patient or make_patient(), clinician=clinician, **fields
    )


def make_site(consultation, *, tried=(), **fields):
    defaults = {
        "location": "cheek",
        "side": "left",
        "count": 1,
        "largest_mm": Decimal("1.0"),
        "depth": "superficial",
        "months_present": 2,
    }
    site = LesionSite.objects.create(consultation=consultation, **(defaults | fields))
    for treatment, worked in tried:
        TriedTreatment.objects.create(site=site, treatment=treatment, worked=worked)
    return site


def sign(consultation):
    """Mark a consultation signed as signing would, once its sites, plan and sessions are built:
    the database refuses to add anything under a signed consultation."""
    from django.utils import timezone

    Consultation.objects.filter(pk=consultation.pk).update(
        status=Consultation.Status.SIGNED, signed_at=timezone.now()
    )
    consultation.refresh_from_db()
    return consultation
