"""Hostile input: hypothesis drives the forms and the API with random and nasty values.

No answer is a server error, nothing is stored half-done, and what is stored shows escaped.
"""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_consultation, make_user
from treatments import roles
from treatments.models import LesionSite, Patient, TriedTreatment

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY_TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "'; DROP TABLE treatments_patient; --",
            "1 OR 1=1",
            "\x00\x01\x1b[31m",
            "A" * 5000,
            "-1",
            "1e309",
            "NaN",
            "99999999999999999999999",
            "０１２",
            "🧪" * 50,
        ]
    ),
)
NASTY_NUMBER = st.one_of(
    NASTY_TEXT,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture
def derm_client(db):
    client = Client()
    client.force_login(make_user("fuzz.derm", roles.DERMATOLOGIST))
    return client


@FUZZ
@given(body=JSON_VALUES)
def test_fuzz_api_answers_200_or_400_to_any_json(derm_client, body):
    response = derm_client.post(
        "/api/v1/recommendations", json.dumps(body), content_type="application/json"
    )
    assert response.status_code in (200, 400)
    assert isinstance(response.json(), dict)


@FUZZ
@given(
    patient=st.fixed_dictionaries(
        {"age_years": NASTY_NUMBER | st.integers(), "pregnant": JSON_VALUES},
        optional={"fitzpatrick": JSON_VALUES},
    ),
    site=st.dictionaries(
        st.sampled_from(["location", "side", "count", "largest_mm", "depth", "months_present"]),
        JSON_VALUES | NASTY_NUMBER,
    ),
)
def test_fuzz_api_nasty_case_fields_never_crash(derm_client, patient, site):
    body = {"patient": patient, "sites": [site]}
    response = derm_client.post(
        "/api/v1/recommendations", json.dumps(body), content_type="application/json"
    )
    assert response.status_code in (200, 400)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_fuzz_api_raw_bytes_are_refused_cleanly(derm_client, raw):
    response = derm_client.post("/api/v1/recommendations", raw, content_type="application/json")
    assert response.status_code in (200, 400)


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {
            "medical_record_number": NASTY_TEXT,
            "given_name": NASTY_TEXT,
            "family_name": NASTY_TEXT,
            "date_of_birth": NASTY_TEXT | st.dates().map(str),
            "fitzpatrick": NASTY_NUMBER,
            "sex": NASTY_TEXT,
        }
    )
)
def test_fuzz_patient_form_never_fails_and_shows_what_it_stored_escaped(derm_client, fields):
    before = Patient.objects.count()
    response = derm_client.post("/patients/new/", fields)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        patient = Patient.objects.latest("id")
        page = derm_client.get(response["Location"]).content.decode()
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert Patient.objects.count() == before + 1
        assert patient.given_name == fields["given_name"].strip()
    else:
        assert Patient.objects.count() == before


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {
            "location": NASTY_TEXT | st.sampled_from(["eyelid", "cheek", "nose"]),
            "side": NASTY_TEXT | st.sampled_from(["left", "right", "midline"]),
            "count": NASTY_NUMBER,
            "largest_mm": NASTY_NUMBER,
            "depth": NASTY_TEXT | st.just("deep"),
            "months_present": NASTY_NUMBER,
            "tried_extraction": NASTY_TEXT | st.sampled_from(["worked", "failed", ""]),
        }
    )
)
def test_fuzz_site_form_never_fails_or_half_saves(derm_client, fields):
    consultation = make_consultation(clinician=make_user_once())
    response = derm_client.post(
        f"/consultations/{consultation.pk}/sites/new/", fields, HTTP_HX_REQUEST="true"
    )
    assert response.status_code in (200, 400)
    sites = list(LesionSite.objects.filter(consultation=consultation))
    if response.status_code == 200:
        (site,) = sites
        assert 1 <= site.count <= 10_000
        expected_tried = 1 if fields["tried_extraction"] in ("worked", "failed") else 0
        assert TriedTreatment.objects.filter(site=site).count() == expected_tried
    else:
        assert sites == []


def make_user_once():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="fuzz.owner").first()
    return user or make_user("fuzz.owner", roles.DERMATOLOGIST)


@FUZZ
@given(query=NASTY_TEXT, page=NASTY_NUMBER)
def test_fuzz_patient_search_never_fails(derm_client, query, page):
    response = derm_client.post("/patients/", {"q": query, "page": page})
    assert response.status_code == 200


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {
            "date": NASTY_TEXT | st.dates().map(str),
            "milia_type": NASTY_TEXT | st.sampled_from(["primary", "neonatal", "unsure"]),
            "recurrent": NASTY_TEXT,
            "notes": NASTY_TEXT,
            "version": NASTY_NUMBER,
        }
    )
)
def test_fuzz_consultation_form_never_fails(derm_client, fields):
    consultation = make_consultation(clinician=make_user_once())
    before = (consultation.milia_type, consultation.date)
    response = derm_client.post(
        f"/consultations/{consultation.pk}/edit/", fields, HTTP_HX_REQUEST="true"
    )
    assert response.status_code in (200, 400, 409)
    consultation.refresh_from_db()
    if response.status_code != 200:
        assert (consultation.milia_type, consultation.date) == before


PLAN_CODES = ["extraction", "chemical_peel", "topical_retinoid", "cryotherapy", "co2_laser"]


@FUZZ
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "include": NASTY_TEXT | st.just("on"),
                "sessions": NASTY_NUMBER,
                "interval_weeks": NASTY_NUMBER,
                "starts_on": NASTY_TEXT | st.dates().map(str),
                "product_notes": NASTY_TEXT,
                "override_reason": NASTY_TEXT,
                "sites": NASTY_NUMBER,
            }
        ),
        min_size=5,
        max_size=5,
    ),
    total=NASTY_NUMBER | st.just("5"),
)
def test_fuzz_plan_form_never_fails_or_half_saves(derm_client, rows, total):
    from tests.factories import make_site
    from treatments.models import Plan

    consultation = make_consultation(clinician=make_user_once())
    make_site(consultation, location="cheek", side="left")
    data = {
        "plan-TOTAL_FORMS": total,
        "plan-INITIAL_FORMS": "5",
        "plan-MIN_NUM_FORMS": "5",
        "plan-MAX_NUM_FORMS": "5",
        "version": "1",
    }
    for index, (code, row) in enumerate(zip(PLAN_CODES, rows, strict=True)):
        data[f"plan-{index}-treatment"] = code
        data |= {f"plan-{index}-{key}": value for key, value in row.items()}
    response = derm_client.post(f"/consultations/{consultation.pk}/plan/", data)
    assert response.status_code in (302, 400)
    plan = Plan.objects.filter(consultation=consultation).first()
    if response.status_code == 400:
        assert plan is None
    else:
        assert plan.treatments.count() >= 1
