"""Every page costs the same number of queries whatever the amount of data it shows.

Each test builds a small and a large case of one page (1 site and 20, 1 session and 30, ...),
asks for the page once to warm the session up (the first request of a session records when it
started), then expects exactly the page's budget in QUERY_BUDGET of a second request
(`django_assert_num_queries`): a new N+1 query fails the large case, and any other added query
fails both, so the budget only changes on purpose. `make bench` measures the same pages on
100,000 patients.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    make_consultation,
    make_patient,
    make_photo,
    make_planned,
    make_recommendation,
    make_site,
    sign,
)
from treatments import services
from treatments.models import Consultation, Session

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}

# Queries per request. Most pages share 2: the session, and the user with their permissions (one
# query: treatments.auth_backend).
QUERY_BUDGET = {
    "home_dermatologist": 5,
    "home_staff": 3,
    "patient_list": 4,
    "patient_search": 4,
    # 5, the patient's home treatment reviews, the photographed sites, and the outcomes
    # (counts, outcomes, the treatments before them, the sites of the planned treatments)
    "patient_detail": 11,
    # 2, the site's consultation, the chart (3), the treatments' names, and the site's patient
    # for the audit; once signed, the stored advice too
    "site_advice": 8,
    "site_advice_signed": 9,
    "site_photos": 5,  # 2, the site with its consultation and patient, the photos, and the
    # site's patient for the audit (one query: the audit asks for the patient's id alone)
    "consultation_draft": 8,
    # 8, the consultation it follows, and its carried sites with the treatments done there
    # since (2)
    "consultation_follow_up": 10,
    "consultation_signed": 10,  # 9, and the addenda
    "plan": 9,  # 8, and the consultation's patient for the audit
    "sign_review": 9,  # 2, the chart (3), the plan (2), your roles, the patient for the audit
    "session_list": 5,  # 4, and the upcoming home treatment reviews
    "today": 8,  # 5, today's reviews, and today's patients (sessions, reviews) for the audit
    "aftercare_sheet": 6,
    "aftercare_pdf": 6,
    "api": 2,
}
# Pages that show patient data also append an event to the audit trail (audit): one INSERT,
# with no lock (the chain is sealed afterwards, off the request's path).
AUDITED = {
    "home_dermatologist",
    "home_staff",
    "patient_list",
    "plan",
    "session_list",
    "today",
    "patient_search",
    "patient_detail",
    "site_photos",
    "site_advice",
    "site_advice_signed",
    "consultation_draft",
    "consultation_follow_up",
    "consultation_signed",
    "sign_review",
    "aftercare_sheet",
    "aftercare_pdf",
}


def budget(page: str) -> int:
    """The page's queries per request, whatever the size of the case."""
    audit = 1 if page in AUDITED else 0
    return QUERY_BUDGET[page] + audit


PLACES = [(location, side) for side in ("left", "right")
          for location in ("eyelid", "periorbital", "forehead", "temple", "cheek", "nose",
                           "perioral", "chin", "jawline", "ear")]  # fmt: skip


@pytest.fixture
def assert_page_queries(django_assert_num_queries):
    """Check one request costs exactly the page's budget, after a first one has warmed the
    session up."""

    def check(client, url, page, *, method="get", data=None, **extra):
        send = getattr(client, method)
        send(url, data or {}, **extra)
        with django_assert_num_queries(budget(page)):
            response = send(url, data or {}, **extra)
        assert response.status_code == 200, (url, response.status_code)

    return check


def consultation_with_sites(clinician, sites, *, signed=False, **fields):
    consultation = make_consultation(clinician=clinician, **fields)
    for location, side in PLACES[:sites]:
        make_site(consultation, location=location, side=side, tried=[("extraction", False)])
    return sign(consultation) if signed else consultation


def planned_with_sessions(clinician, *, sites=1, sessions=1, on=None):
    """A signed consultation's treatment, for its sites, with weekly sessions from ``on``."""
    consultation = consultation_with_sites(clinician, sites)
    planned = make_planned(
        consultation, sessions=sessions, interval_weeks=1, starts_on=on or timezone.localdate()
    )
    sign(consultation)
    return planned


def sessions_today(clinician, count):
    for _ in range(count):
        planned_with_sessions(clinician)


# --- Home ---------------------------------------------------------------------------------------


def test_home_queries_do_not_grow_with_consultations_or_sessions(
    assert_page_queries, dermatologist_client, dermatologist
):
    for size in (1, 10):
        for _ in range(size):
            consultation_with_sites(dermatologist, 1)
            consultation_with_sites(dermatologist, 1, signed=True)
        sessions_today(dermatologist, size)
        assert_page_queries(dermatologist_client, "/", page="home_dermatologist")


def test_home_of_staff_queries_do_not_grow_with_sessions(
    assert_page_queries, staff_client, dermatologist
):
    for size in (1, 10):
        sessions_today(dermatologist, size)
        assert_page_queries(staff_client, "/", page="home_staff")


# --- Patients -----------------------------------------------------------------------------------


def test_patient_list_queries_do_not_grow_with_patients(assert_page_queries, dermatologist_client):
    for size in (1, 30):
        for _ in range(size):
            make_patient()
        assert_page_queries(dermatologist_client, "/patients/", page="patient_list")


def test_patient_search_queries_do_not_grow_with_matches(assert_page_queries, dermatologist_client):
    for size in (1, 30):
        for _ in range(size):
            make_patient(family_name="Benchmark")
        assert_page_queries(
            dermatologist_client,
            "/patients/",
            method="post",
            data={"q": "enchm"},
            **HTMX,
            page="patient_search",
        )


def test_patient_search_queries_do_not_grow_with_words(assert_page_queries, dermatologist_client):
    make_patient(given_name="Zoë", family_name="O'Brien-Łukasz", medical_record_number="Z-1")
    for query in ("zoe", "Zoë O’Brien łukasz o z"):
        assert_page_queries(
            dermatologist_client,
            "/patients/",
            method="post",
            data={"q": query},
            **HTMX,
            page="patient_search",
        )


def test_patient_detail_queries_do_not_grow_with_consultations(
    assert_page_queries, dermatologist_client, dermatologist
):
    for size in (1, 10):
        patient = make_patient()
        for _ in range(size):
            consultation = consultation_with_sites(dermatologist, 3, patient=patient)
            # Photos of every site of every visit: the before/after list grows with them.
            for site in consultation.sites.all():
                make_photo(site, by=dermatologist)
        assert_page_queries(dermatologist_client, f"/patients/{patient.pk}/", page="patient_detail")


def test_site_photos_queries_do_not_grow_with_visits_or_photos(
    assert_page_queries, dermatologist_client, dermatologist
):
    for size in (1, 6):
        patient = make_patient()
        for _ in range(size):
            consultation = consultation_with_sites(dermatologist, 1, patient=patient)
            site = consultation.sites.get()
            for _ in range(2):
                make_photo(site, by=dermatologist)
        url = f"/sites/{site.pk}/photos/"
        assert_page_queries(dermatologist_client, url, page="site_photos")


@pytest.mark.parametrize("signed", [False, True])
def test_site_advice_queries_do_not_grow_with_sites(
    assert_page_queries, dermatologist_client, dermatologist, signed
):
    for sites in (1, 20):
        consultation = consultation_with_sites(dermatologist, sites)
        if signed:
            make_recommendation(
                consultation,
                output=services.consultation_evaluate(
                    services.consultation_with_chart(consultation.pk)
                ).to_dict(),
            )
            sign(consultation)
        url = f"/sites/{consultation.sites.last().pk}/advice/"
        page = "site_advice_signed" if signed else "site_advice"
        assert_page_queries(dermatologist_client, url, page=page, **HTMX)


def patient_followed(clinician, visits):
    """A patient followed over ``visits`` signed visits at three sites, each site improved by a
    peel (its session done) since the visit before."""
    patient = make_patient()
    consultation = consultation_with_sites(clinician, 3, patient=patient)
    for _ in range(visits - 1):
        make_planned(consultation, code="chemical_peel", sessions=1)
        sign(consultation)
        Session.objects.filter(planned_treatment__plan__consultation=consultation).update(
            done_at=timezone.now(), done_by=clinician
        )
        consultation = services.follow_up_start(consultation=consultation, clinician=clinician)
        for carried in consultation.site_outcomes.all():
            services.site_outcome_record(
                site_outcome=carried,
                version=None,
                outcome="improved",
                outcome_on=timezone.localdate(),
                treatment_ids=[p.pk for p in carried.treatments.all()],
                count=1,
                largest_mm=1,
                depth="superficial",
                months_present=1,
                red_flags=False,
                active_inflammation=False,
            )
    sign(consultation)
    return patient


def test_patient_detail_queries_do_not_grow_with_follow_up_visits(
    assert_page_queries, dermatologist_client, dermatologist
):
    for visits in (1, 3):
        patient = patient_followed(dermatologist, visits)
        assert_page_queries(dermatologist_client, f"/patients/{patient.pk}/", page="patient_detail")


def test_follow_up_page_queries_do_not_grow_with_carried_sites(
    assert_page_queries, dermatologist_client, dermatologist
):
    for size in (1, 10):
        earlier = consultation_with_sites(dermatologist, size)
        make_planned(earlier, code="chemical_peel", sessions=1)
        sign(earlier)
        follow_up = services.follow_up_start(consultation=earlier, clinician=dermatologist)
        assert_page_queries(
            dermatologist_client, f"/consultations/{follow_up.pk}/", page="consultation_follow_up"
        )


# --- Consultations ------------------------------------------------------------------------------


def test_consultation_page_queries_do_not_grow_with_sites(
    assert_page_queries, dermatologist_client, dermatologist
):
    for size in (1, 20):
        consultation = consultation_with_sites(dermatologist, size)
        url = f"/consultations/{consultation.pk}/"
        assert_page_queries(dermatologist_client, url, page="consultation_draft")


def test_signed_consultation_page_queries_do_not_grow_with_sites(
    assert_page_queries, dermatologist_client, dermatologist
):
    for size in (1, 20):
        consultation = consultation_with_sites(dermatologist, size)
        dermatologist_client.post(
            f"/consultations/{consultation.pk}/sign/", {"version": consultation.version}
        )
        consultation.refresh_from_db()
        assert consultation.status == Consultation.Status.SIGNED
        assert_page_queries(
            dermatologist_client, f"/consultations/{consultation.pk}/", page="consultation_signed"
        )


def test_sign_review_queries_do_not_grow_with_sites_or_sessions(
    assert_page_queries, dermatologist_client, dermatologist
):
    for size in (1, 20):
        consultation = consultation_with_sites(dermatologist, size)
        planned = make_planned(
            consultation, code="chemical_peel", sessions=size, interval_weeks=2, scheduled=0
        )
        planned.override_reason = "Chosen by the patient after talking it through."
        planned.save()
        url = f"/consultations/{consultation.pk}/sign/"
        assert_page_queries(dermatologist_client, url, page="sign_review")


def test_plan_page_queries_do_not_grow_with_sites(
    assert_page_queries, dermatologist_client, dermatologist
):
    for size in (1, 20):
        consultation = consultation_with_sites(dermatologist, size)
        url = f"/consultations/{consultation.pk}/plan/"
        assert_page_queries(dermatologist_client, url, page="plan")


# --- Sessions and printing ----------------------------------------------------------------------


def test_session_list_queries_do_not_grow_with_sessions(
    assert_page_queries, staff_client, dermatologist
):
    for size in (1, 30):
        for _ in range(size):
            planned_with_sessions(dermatologist, on=timezone.localdate() + timedelta(days=1))
        assert_page_queries(staff_client, "/sessions/", page="session_list")


def test_today_page_queries_do_not_grow_with_sessions(
    assert_page_queries, staff_client, dermatologist
):
    for size in (1, 10):
        sessions_today(dermatologist, size)
        assert_page_queries(staff_client, "/today/", page="today")


@pytest.mark.parametrize(
    ("page", "path"), [("aftercare_sheet", "aftercare/"), ("aftercare_pdf", "aftercare.pdf")]
)
def test_aftercare_sheet_queries_do_not_grow_with_sites_or_sessions(
    assert_page_queries, staff_client, dermatologist, page, path
):
    for sites, sessions in ((1, 1), (20, 6)):
        planned = planned_with_sessions(dermatologist, sites=sites, sessions=sessions)
        assert_page_queries(staff_client, f"/planned/{planned.pk}/{path}", page=page)


# --- API ----------------------------------------------------------------------------------------


def test_api_queries_do_not_grow_with_sites(assert_page_queries, dermatologist_client):
    for size in (1, 20):
        case = {
            "patient": {"age_years": 40},
            "sites": [
                {"location": location, "side": side, "count": 2, "largest_mm": 1.0}
                for location, side in PLACES[:size]
            ],
        }
        assert_page_queries(
            dermatologist_client,
            "/api/v1/recommendations",
            method="post",
            data=case,
            content_type="application/json",
            page="api",
        )
