"""Plain `make_*` builders for tests: explicit defaults, override what the test is about.

Database rows (`make_patient`, `make_site`, `make_planned`, ...) and the rules' plain facts
(`make_site_facts`, `make_case_facts`), which need no database."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from tests.ehr import ISSUER, public_jwks
from treatments import rules
from treatments.models import (
    Consultation,
    EhrClient,
    LesionSite,
    Patient,
    Plan,
    PlannedTreatment,
    Recommendation,
    Session,
    Treatment,
    TriedTreatment,
)

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


def make_plan(consultation, *, created_by=None):
    return Plan.objects.create(
        consultation=consultation, created_by=created_by or consultation.clinician
    )


def make_planned(
    consultation,
    *,
    code="extraction",
    sites=None,
    sessions=1,
    interval_weeks=None,
    starts_on=None,
    scheduled=None,
):
    """A planned treatment in the consultation's plan (made if it has none) for ``sites`` (all
    the consultation's sites unless given), with its first ``scheduled`` sessions (all unless
    given) dated as signing dates them: from ``starts_on`` (today unless given), then every
    interval; without an interval only the first has a date."""
    plan = Plan.objects.filter(consultation=consultation).first() or make_plan(consultation)
    planned = PlannedTreatment.objects.create(
        plan=plan,
        treatment=Treatment.objects.get(code=code),
        sessions=sessions,
        interval_weeks=interval_weeks,
        starts_on=starts_on,
    )
    planned.sites.set(consultation.sites.all() if sites is None else sites)
    first = starts_on or timezone.localdate()
    for number in range(1, (sessions if scheduled is None else scheduled) + 1):
        if number == 1 or interval_weeks:
            day = first + timedelta(weeks=(interval_weeks or 0) * (number - 1))
        else:
            day = None
        Session.objects.create(planned_treatment=planned, number=number, scheduled_for=day)
    return planned


def make_course(
    clinician,
    *,
    code="cryotherapy",
    sites=(("forehead", "midline"),),
    sessions=1,
    interval_weeks=None,
    starts_on=None,
    signed=True,
    patient=None,
):
    """A consultation with one planned course of ``code`` on the given (location, side) sites,
    starting today unless told, signed unless told; the planned treatment is returned."""
    consultation = make_consultation(patient=patient or make_patient(), clinician=clinician)
    planned = make_planned(
        consultation,
        code=code,
        sites=[make_site(consultation, location=loc, side=side) for loc, side in sites],
        sessions=sessions,
        interval_weeks=interval_weeks,
        starts_on=starts_on or timezone.localdate(),
    )
    if signed:
        sign(consultation)
    return planned


def make_recommendation(consultation, *, output=None, requested_by=None, **fields):
    defaults = {"rules_version": "2026.1", "input_facts": {}, "output": output or {}}
    return Recommendation.objects.create(
        consultation=consultation,
        requested_by=requested_by or consultation.clinician,
        **(defaults | fields),
    )


def make_ehr_client(**fields):
    defaults = {"name": "Test EHR", "issuer": ISSUER, "jwks": public_jwks()}
    return EhrClient.objects.create(**(defaults | fields))


def sign(consultation):
    """Mark a consultation signed as signing would, once its sites, plan and sessions are built:
    the database refuses to add anything under a signed consultation."""
    from django.utils import timezone

    Consultation.objects.filter(pk=consultation.pk).update(
        status=Consultation.Status.SIGNED,
        signed_at=timezone.now(),
        signed_by=consultation.clinician,
    )
    consultation.refresh_from_db()
    return consultation


def record_outcome(follow_up, outcome, *, previous=None, count=2, outcome_on=None):
    """Record what became of a carried site of ``follow_up`` (its only one unless ``previous``
    names it) through the service, re-entering it with ``count`` milia unless it cleared; on
    ``outcome_on``, else the follow-up's date."""
    from treatments import services

    carried = (
        follow_up.site_outcomes.get()
        if previous is None
        else follow_up.site_outcomes.get(previous_site=previous)
    )
    site_fields = (
        {}
        if outcome == "cleared"
        else {
            "count": count,
            "largest_mm": Decimal("1.0"),
            "depth": "superficial",
            "months_present": 3,
            "red_flags": False,
            "active_inflammation": False,
        }
    )
    current = Consultation.objects.get(pk=follow_up.pk)
    return services.site_outcome_record(
        site_outcome=carried,
        version=current.version,
        outcome=outcome,
        outcome_on=outcome_on or current.date,
        treatment_ids=[p.pk for p in carried.treatments.all()],
        **site_fields,
    )


def make_site_facts(location="other", **facts):
    """One site as the rules see it; ``tried`` as (treatment, worked) pairs."""
    tried = tuple(rules.TriedTreatment(t, w) for t, w in facts.pop("tried", ()))
    return rules.SiteFacts(location=location, tried=tried, **facts)


def make_case_facts(*sites, milia_type="primary", recurrent=False, age_years=34, **patient):
    """A case as the rules see it: an adult with primary milia at one unnamed site by default."""
    return rules.CaseFacts(
        patient=rules.PatientFacts(age_years=age_years, **patient),
        sites=tuple(sites) or (make_site_facts(),),
        milia_type=milia_type,
        recurrent=recurrent,
    )


def photo_bytes(size=(64, 48), *, format="JPEG", color="red", exif=None) -> bytes:
    """A small image made here (Pillow), as a phone would upload it."""
    import io

    from PIL import Image

    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, color).save(out, format=format, **options)
    return out.getvalue()


def make_photo(site, *, by, consent="record", data=None, filename="photo.jpg"):
    """A photo of a site through the service (the files are written to the test storage)."""
    from treatments import services

    return services.photo_add(
        site=site, data=data or photo_bytes(), filename=filename, consent=consent, by=by
    )
