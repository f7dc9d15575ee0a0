"""Every page costs the same number of queries whatever the amount of data it shows.

Each test builds a small and a large case of one page (1 site and 20, 1 session and 30, ...),
asks for the page once to warm the session up (the first request of a session records when it
started), then counts the queries of a second request. Both counts must equal the page's budget
in QUERY_BUDGET: a new N+1 query fails the large case, and any other added query fails both, so
the budget only changes on purpose. `make bench` measures the same pages on 100,000 patients.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_consultation, make_patient, make_site, sign
from treatments.models import Consultation, Plan, PlannedTreatment, Session, Treatment

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}

# Queries per request. Most pages share 4: the session, the user and the user's permissions (2).
QUERY_BUDGET = {
    "home_dermatologist": 7,
    "home_staff": 5,
    "patient_list": 6,
    "patient_search": 6,
    "patient_detail": 7,
    "consultation_draft": 10,
    "consultation_signed": 11,
    "plan": 11,  # 10, and the consultation's patient for the audit
    "session_list": 6,
    "today": 8,  # 7, and today's patients for the audit
    "aftercare_sheet": 8,
    "aftercare_pdf": 8,
    "api": 2,
}
# Pages that show patient data also append an event to the audit trail (audit): the
# last hash and the insert, in a savepoint here (the test runs in a transaction), after an
# advisory lock on PostgreSQL.
AUDITED = {
    "home_dermatologist",
    "home_staff",
    "patient_list",
    "plan",
    "session_list",
    "today",
    "patient_search",
    "patient_detail",
    "consultation_draft",
    "consultation_signed",
    "aftercare_sheet",
    "aftercare_pdf",
}


def budget(page: str) -> list[int]:
    """The page's queries per request, for the small and the large case."""
    audit = (5 if connection.vendor == "postgresql" else 4) if page in AUDITED else 0
    return [QUERY_BUDGET[page] + audit] * 2


PLACES = [(location, side) for side in ("left", "right")
          for location in ("eyelid", "periorbital", "forehead", "temple", "cheek", "nose",
                           "perioral", "chin", "jawline", "ear")]  # fmt: skip


def count_queries(client, url, *, method="get", data=None, **extra):
    """Queries of one request, after a first one has warmed the session up."""
    send = getattr(client, method)
    send(url, data or {}, **extra)
    with CaptureQueriesContext(connection) as captured:
        response = send(url, data or {}, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def consultation_with_sites(clinician, sites, *, signed=False, **fields):
    consultation = make_consultation(clinician=clinician, **fields)
    for location, side in PLACES[:sites]:
        make_site(consultation, location=location, side=side, tried=[("extraction", False)])
    return sign(consultation) if signed else consultation


def planned_with_sessions(clinician, *, sites=1, sessions=1, on=None):
    """A signed consultation's planned treatment, for its sites, with sessions from ``on``."""
    on = on or timezone.localdate()
    consultation = consultation_with_sites(clinician, sites)
    plan = Plan.objects.create(consultation=consultation, created_by=clinician)
    planned = PlannedTreatment.objects.create(
        plan=plan,
        treatment=Treatment.objects.get(code="extraction"),
        sessions=sessions,
        interval_weeks=1,
        starts_on=on,
    )
    planned.sites.set(consultation.sites.all())
    Session.objects.bulk_create(
        Session(planned_treatment=planned, number=n, scheduled_for=on + timedelta(weeks=n - 1))
        for n in range(1, sessions + 1)
    )
    sign(consultation)
    return planned


def sessions_today(clinician, count):
    for _ in range(count):
        planned_with_sessions(clinician)


# --- Home ---------------------------------------------------------------------------------------


def test_home_queries_do_not_grow_with_consultations_or_sessions(
    dermatologist_client, dermatologist
):
    counts = []
    for size in (1, 10):
        for _ in range(size):
            consultation_with_sites(dermatologist, 1)
            consultation_with_sites(dermatologist, 1, signed=True)
        sessions_today(dermatologist, size)
        counts.append(count_queries(dermatologist_client, "/"))
    assert counts == budget("home_dermatologist")


def test_home_of_staff_queries_do_not_grow_with_sessions(staff_client, dermatologist):
    counts = []
    for size in (1, 10):
        sessions_today(dermatologist, size)
        counts.append(count_queries(staff_client, "/"))
    assert counts == budget("home_staff")


# --- Patients -----------------------------------------------------------------------------------


def test_patient_list_queries_do_not_grow_with_patients(dermatologist_client):
    counts = []
    for size in (1, 30):
        for _ in range(size):
            make_patient()
        counts.append(count_queries(dermatologist_client, "/patients/"))
    assert counts == budget("patient_list")


def test_patient_search_queries_do_not_grow_with_matches(dermatologist_client):
    counts = []
    for size in (1, 30):
        for _ in range(size):
            make_patient(family_name="Benchmark")
        counts.append(
            count_queries(
                dermatologist_client, "/patients/", method="post", data={"q": "enchm"}, **HTMX
            )
        )
    assert counts == budget("patient_search")


def test_patient_detail_queries_do_not_grow_with_consultations(dermatologist_client, dermatologist):
    counts = []
    for size in (1, 10):
        patient = make_patient()
        for _ in range(size):
            consultation_with_sites(dermatologist, 3, patient=patient)
        counts.append(count_queries(dermatologist_client, f"/patients/{patient.pk}/"))
    assert counts == budget("patient_detail")


# --- Consultations ------------------------------------------------------------------------------


def test_consultation_page_queries_do_not_grow_with_sites(dermatologist_client, dermatologist):
    counts = [
        count_queries(
            dermatologist_client,
            f"/consultations/{consultation_with_sites(dermatologist, size).pk}/",
        )
        for size in (1, 20)
    ]
    assert counts == budget("consultation_draft")


def test_signed_consultation_page_queries_do_not_grow_with_sites(
    dermatologist_client, dermatologist
):
    counts = []
    for size in (1, 20):
        consultation = consultation_with_sites(dermatologist, size)
        dermatologist_client.post(
            f"/consultations/{consultation.pk}/sign/", {"version": consultation.version}
        )
        consultation.refresh_from_db()
        assert consultation.status == Consultation.Status.SIGNED
        counts.append(count_queries(dermatologist_client, f"/consultations/{consultation.pk}/"))
    assert counts == budget("consultation_signed")


def test_plan_page_queries_do_not_grow_with_sites(dermatologist_client, dermatologist):
    counts = [
        count_queries(
            dermatologist_client,
            f"/consultations/{consultation_with_sites(dermatologist, size).pk}/plan/",
        )
        for size in (1, 20)
    ]
    assert counts == budget("plan")


# --- Sessions and printing ----------------------------------------------------------------------


def test_session_list_queries_do_not_grow_with_sessions(staff_client, dermatologist):
    counts = []
    for size in (1, 30):
        for _ in range(size):
            planned_with_sessions(dermatologist, on=timezone.localdate() + timedelta(days=1))
        counts.append(count_queries(staff_client, "/sessions/"))
    assert counts == budget("session_list")


def test_today_page_queries_do_not_grow_with_sessions(staff_client, dermatologist):
    counts = []
    for size in (1, 10):
        sessions_today(dermatologist, size)
        counts.append(count_queries(staff_client, "/today/"))
    assert counts == budget("today")


@pytest.mark.parametrize(
    ("page", "path"), [("aftercare_sheet", "aftercare/"), ("aftercare_pdf", "aftercare.pdf")]
)
def test_aftercare_sheet_queries_do_not_grow_with_sites_or_sessions(
    staff_client, dermatologist, page, path
):
    counts = []
    for sites, sessions in ((1, 1), (20, 6)):
        planned = planned_with_sessions(dermatologist, sites=sites, sessions=sessions)
        counts.append(count_queries(staff_client, f"/planned/{planned.pk}/{path}"))
    assert counts == budget(page)


# --- API ----------------------------------------------------------------------------------------


def test_api_queries_do_not_grow_with_sites(dermatologist_client):
    counts = []
    for size in (1, 20):
        case = {
            "patient": {"age_years": 40},
            "sites": [
                {"location": location, "side": side, "count": 2, "largest_mm": 1.0}
                for location, side in PLACES[:size]
            ],
        }
        counts.append(
            count_queries(
                dermatologist_client,
                "/api/v1/recommendations",
                method="post",
                data=case,
                content_type="application/json",
            )
        )
    assert counts == budget("api")
