"""What the penetration test of issue 11 broke, each proven fixed: lost updates, open redirects,
sessions that outlive a deactivation, answers after an idle logoff, hostile JSON, races, and
patient data in URLs."""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from tests.factories import make_user
from tests.test_user_admin import admin_form_data
from treatments import roles

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
HOSTILE_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "https:/\\evil.example/",
    "javascript:alert(1)",
]


# --- Redirects stay on this site --------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_session_done_never_redirects_to_another_site(staff_client, dermatologist, hostile):
    from tests.factories import make_course

    session = make_course(dermatologist).treatment_sessions.get()

    response = staff_client.post(f"/sessions/{session.pk}/done/", {"next": hostile})

    assert (response.status_code, response["Location"]) == (302, "/sessions/")


def test_session_done_returns_to_the_page_it_came_from(staff_client, dermatologist):
    from tests.factories import make_course

    session = make_course(dermatologist).treatment_sessions.get()

    response = staff_client.post(f"/sessions/{session.pk}/done/", {"next": "/today/"})

    assert (response.status_code, response["Location"]) == (302, "/today/")


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_login_and_logout_never_redirect_to_another_site(hostile):
    make_user("nurse.ray", roles.CLINIC_STAFF, password=PASSWORD)
    client = Client()

    login = client.post(
        "/accounts/login/", {"username": "nurse.ray", "password": PASSWORD, "next": hostile}
    )
    logout = client.post("/accounts/logout/", {"next": hostile})

    assert (login.status_code, login["Location"]) == (302, "/")
    assert (logout.status_code, logout["Location"]) == (302, "/accounts/login/")


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_admin_login_never_redirects_to_another_site(clinic_admin, hostile):
    response = Client().post(
        "/admin/login/",
        {"username": clinic_admin.username, "password": PASSWORD, "next": hostile},
    )

    assert (response.status_code, response["Location"]) == (302, "/")


def test_every_next_the_app_reads_goes_through_the_host_check():
    import re
    from pathlib import Path

    import treatments

    reads = re.compile(r"""request\.(?:GET|POST|REQUEST)(?:\.get\(|\[)\s*["']next["']""")
    readers = {
        path.name: len(reads.findall(path.read_text()))
        for path in Path(treatments.__file__).parent.rglob("*.py")
        if reads.search(path.read_text())
    }

    # Only _safe_next reads it, posted or in a GET's query (url_has_allowed_host_and_scheme);
    # Django's login, logout and the admin's check it themselves (the tests above).
    assert readers == {"views.py": 2}


# --- After an idle logoff ---------------------------------------------------------------------


def _idle(client, settings):
    import time

    client.get("/")
    session = client.session
    session["last_seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 1
    session.save()


def test_htmx_request_after_idle_logoff_is_sent_to_the_login_page_path(settings, staff_client):
    _idle(staff_client, settings)

    response = staff_client.post("/patients/", {"q": "a"}, HTTP_HX_REQUEST="true")

    assert (response.status_code, response["HX-Redirect"]) == (401, "/accounts/login/")


def test_api_after_idle_logoff_answers_401_json(settings, dermatologist_client):
    _idle(dermatologist_client, settings)

    response = dermatologist_client.post(
        "/api/v1/recommendations", "{}", content_type="application/json"
    )

    assert response.status_code == 401
    assert response.json() == {"errors": {"": ["authentication required"]}}


# --- Hostile JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 1500 + "]" * 1500, "the body nests arrays or objects too deeply"),
        ('{"a": ' * 1500 + "1" + "}" * 1500, "the body nests arrays or objects too deeply"),
        (
            '{"patient": {"age_years": ' + "9" * 5000 + '}, "sites": []}',
            "the body holds a number too long to read",
        ),
    ],
    ids=["nested arrays", "nested objects", "5000-digit integer"],
)
def test_api_answers_hostile_json_with_400_and_a_message(dermatologist_client, body, message):
    response = dermatologist_client.post(
        "/api/v1/recommendations", body, content_type="application/json"
    )

    assert (response.status_code, response.json()) == (400, {"errors": {"": [message]}})


# --- The version check is required on every write ----------------------------------------------

SITE = {
    "location": "chin",
    "side": "midline",
    "count": "2",
    "largest_mm": "1.0",
    "depth": "superficial",
    "months_present": "1",
}


def _write_requests(consultation, site):
    """Every write of a draft consultation, as its page posts it (without the version)."""
    from tests.test_views import plan_post

    plan = plan_post({"extraction": {"include": "on", "sites": str(site.pk), "sessions": "1"}})
    plan.pop("version")
    return {
        "edit": (
            f"/consultations/{consultation.pk}/edit/",
            {"date": "2026-01-02", "milia_type": "unsure"},
        ),
        "add site": (f"/consultations/{consultation.pk}/sites/new/", SITE),
        "edit site": (f"/sites/{site.pk}/edit/", SITE | {"location": "nose"}),
        "delete site": (f"/sites/{site.pk}/delete/", {}),
        "plan": (f"/consultations/{consultation.pk}/plan/", plan),
        "sign": (f"/consultations/{consultation.pk}/sign/", {}),
    }


@pytest.mark.parametrize("version", [None, "abc", "", "-1", "1.0", "9" * 40])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_write_without_a_valid_version_is_refused_and_changes_nothing(
    dermatologist_client, dermatologist, version, htmx
):
    from tests.factories import make_consultation, make_site
    from treatments.models import Consultation, LesionSite, Plan

    consultation = make_consultation(clinician=dermatologist, milia_type="primary")
    site = make_site(consultation, location="cheek", side="left")
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    answers = {}
    for name, (url, data) in _write_requests(consultation, site).items():
        posted = data if version is None else data | {"version": version}
        response = dermatologist_client.post(url, posted, **extra)
        answers[name] = response.status_code

    assert answers == dict.fromkeys(answers, 409 if htmx else 302)
    after = Consultation.objects.get(pk=consultation.pk)
    assert (after.status, after.milia_type, after.version) == ("draft", "primary", 1)
    assert list(LesionSite.objects.values_list("location", flat=True)) == ["cheek"]
    assert not Plan.objects.exists()


def test_a_write_without_a_version_says_why_it_was_refused(dermatologist_client, dermatologist):
    from tests.factories import make_consultation

    consultation = make_consultation(clinician=dermatologist)

    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/", SITE, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 409
    assert "it did not say which version of the consultation it was made on" in (
        response.content.decode()
    )


# --- Races ------------------------------------------------------------------------------------


def test_second_clinician_removing_the_same_site_at_once_gets_the_409_message(
    dermatologist_client, dermatologist, monkeypatch
):
    from tests.factories import make_consultation, make_site
    from treatments import services
    from treatments.models import Consultation, LesionSite

    consultation = make_consultation(clinician=dermatologist)
    site = make_site(consultation)
    site_delete = services.site_delete

    def first_clinician_removes_it_just_before(*, site, version):
        # The second request has read the site; the first clinician's removal of the same site
        # commits before the second reaches the database.
        site_delete(site=LesionSite.objects.get(pk=site.pk), version=version)
        return site_delete(site=site, version=version)

    monkeypatch.setattr(services, "site_delete", first_clinician_removes_it_just_before)
    response = dermatologist_client.post(
        f"/sites/{site.pk}/delete/", {"version": "1"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 409
    assert "This consultation was changed in another window or by another clinician" in (
        response.content.decode()
    )
    assert f'href="/consultations/{consultation.pk}/"' in response.content.decode()
    assert (LesionSite.objects.count(), Consultation.objects.get().version) == (0, 2)


# --- Deactivation -----------------------------------------------------------------------------


def test_reactivating_a_user_does_not_revive_their_old_sessions():
    from django.contrib.sessions.models import Session as StoredSession

    user = make_user("nurse.old", roles.CLINIC_STAFF, password=PASSWORD)
    other = make_user("nurse.other", roles.CLINIC_STAFF, password=PASSWORD)
    old, kept = Client(), Client()
    old.post("/accounts/login/", {"username": "nurse.old", "password": PASSWORD})
    kept.post("/accounts/login/", {"username": "nurse.other", "password": PASSWORD})
    assert old.get("/patients/").status_code == 200

    user.is_active = False
    user.save()
    user.is_active = True
    user.save()

    assert old.get("/patients/")["Location"] == "/accounts/login/?next=/patients/"
    assert StoredSession.objects.count() == 1
    assert (kept.get("/patients/").status_code, other.is_active) == (200, True)


def test_deactivating_a_user_in_the_admin_ends_their_sessions(clinic_admin):
    from django.contrib.sessions.models import Session as StoredSession

    user = make_user("nurse.gone", roles.CLINIC_STAFF, password=PASSWORD)
    Client().post("/accounts/login/", {"username": "nurse.gone", "password": PASSWORD})
    assert StoredSession.objects.count() == 1
    admin = Client()
    admin.force_login(clinic_admin)
    url = f"/admin/auth/user/{user.pk}/change/"
    data = admin_form_data(admin.get(url)) | {"is_active": ""}

    response = admin.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.is_active is False
    # Only the admin's own session is left.
    assert StoredSession.objects.count() == 1


# --- No body site or name in a URL ------------------------------------------------------------


def test_the_map_names_no_body_site_in_its_urls(dermatologist_client, dermatologist):
    import re

    from tests.factories import make_consultation
    from treatments.body_map import REGIONS
    from treatments.models import Location

    consultation = make_consultation(clinician=dermatologist)
    html = dermatologist_client.get(f"/consultations/{consultation.pk}/").content.decode()
    urls = re.findall(r'(?:href|hx-get|hx-post|action)="([^"]*)"', html)
    site_urls = [url for url in urls if "/sites/new/" in url]

    # Each region and "Other location", as href and hx-get.
    assert len(site_urls) == 2 * (len(REGIONS) + 1)
    leaking = [url for url in urls for word in Location.values if word in url.lower()]
    assert leaking == []


def test_a_map_region_token_opens_the_form_at_that_site(dermatologist_client, dermatologist):
    import re

    from tests.factories import make_consultation

    consultation = make_consultation(clinician=dermatologist)
    html = dermatologist_client.get(f"/consultations/{consultation.pk}/").content.decode()
    (genital,) = re.findall(r'href="([^"]+)" hx-get="[^"]+" [^>]*aria-label="Genital area"', html)

    form = dermatologist_client.get(genital, HTTP_HX_REQUEST="true").context["site_form"]
    leaked = dermatologist_client.get(
        f"/consultations/{consultation.pk}/sites/new/?location=genital&side=midline"
    ).context["site_form"]

    assert (form["location"].value(), form["side"].value()) == ("genital", "midline")
    assert (leaked["location"].value(), leaked["side"].value()) == ("", "")


@pytest.mark.parametrize(
    "model", ["patient", "consultation", "lesionsite", "recommendation", "plan",
              "plannedtreatment", "session"]
)  # fmt: skip
def test_admin_lists_of_patient_data_have_no_search_in_the_url(clinic_admin, model):
    from tests.factories import make_patient
    from treatments.models import Consultation

    patient = make_patient(family_name="Zebedee")
    Consultation.objects.create(patient=patient, clinician=clinic_admin)
    client = Client()
    client.force_login(clinic_admin)

    page = client.get(f"/admin/treatments/{model}/")
    searched = client.get(f"/admin/treatments/{model}/", {"q": "Zebedee"})

    html = page.content.decode()
    assert (page.status_code, 'name="q"' in html) == (200, False)
    assert 'use the <a href="/patients/">patient search</a>' in html
    # A hand-made ?q= searches nothing.
    assert (
        tuple(searched.context["cl"].search_fields),
        'name="q"' in searched.content.decode(),
    ) == ((), False)


# --- The record refuses what the rules refuse; a refused chart still shows --------------------


@pytest.mark.parametrize(
    ("day", "error"),
    [
        ("1989-12-31", "The consultation cannot be dated before the patient's birth."),
        ("9999-12-31", "The consultation cannot be dated in the future."),
    ],
)
def test_consultation_date_outside_the_patients_life_is_refused(
    dermatologist_client, dermatologist, day, error
):
    from datetime import date

    from tests.factories import make_consultation, make_patient
    from treatments.models import Consultation

    patient = make_patient(date_of_birth=date(1990, 1, 1))
    draft = make_consultation(patient=patient, clinician=dermatologist)

    created = dermatologist_client.post(
        f"/patients/{patient.pk}/consultations/new/", {"date": day, "milia_type": "primary"}
    )
    edited = dermatologist_client.post(
        f"/consultations/{draft.pk}/edit/",
        {"date": day, "milia_type": "primary", "version": "1"},
        HTTP_HX_REQUEST="true",
    )

    assert (created.status_code, created.context["form"].errors) == (200, {"date": [error]})
    # The details form is part of the chart fragment, a Jinja2 template: read from its markup.
    assert edited.status_code == 400
    assert re.findall(
        r'<p id="error_\d+_(\w+)"><strong>([^<]*)</strong>', edited.content.decode()
    ) == [("id_date", escape(error))]
    assert list(Consultation.objects.values_list("date", flat=True)) == [draft.date]


def test_a_consultation_holds_no_more_sites_than_the_rules_accept(
    dermatologist_client, dermatologist
):
    from django.core.exceptions import ValidationError

    from tests.factories import make_consultation, make_site
    from treatments.models import LesionSite, Location, Side
    from treatments.rules import MAX_SITES

    consultation = make_consultation(clinician=dermatologist)
    places = [(loc, side) for loc in Location.values for side in Side.values]
    for location, side in places[:MAX_SITES]:
        make_site(consultation, location=location, side=side)
    location, side = places[MAX_SITES]

    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/",
        SITE | {"location": location, "side": side, "version": "1"},
        HTTP_HX_REQUEST="true",
    )
    with pytest.raises(ValidationError) as refused:
        LesionSite(consultation=consultation, location=location, side=side, count=1,
                   largest_mm=1, months_present=1).full_clean()  # fmt: skip

    assert response.status_code == 400
    assert response.context["site_form"].non_field_errors() == [
        f"A consultation can chart at most {MAX_SITES} sites."
    ]
    assert refused.value.messages == [f"A consultation can chart at most {MAX_SITES} sites."]
    assert LesionSite.objects.count() == MAX_SITES


def test_a_chart_the_rules_refuse_still_shows_with_the_problem_named(
    dermatologist_client, dermatologist
):
    from datetime import date

    from tests.factories import make_consultation, make_patient, make_site
    from treatments.models import Location, Side
    from treatments.rules import MAX_SITES

    # Stored before the record refused them: a date before birth, and too many sites.
    patient = make_patient(date_of_birth=date(1990, 1, 1))
    before_birth = make_consultation(
        patient=patient, clinician=dermatologist, date=date(1980, 1, 1)
    )
    make_site(before_birth)
    too_many = make_consultation(clinician=dermatologist)
    places = [(loc, side) for loc in Location.values for side in Side.values]
    for location, side in places[: MAX_SITES + 1]:
        make_site(too_many, location=location, side=side)

    pages = {
        name: (
            dermatologist_client.get(f"/consultations/{c.pk}/"),
            dermatologist_client.get(f"/consultations/{c.pk}/plan/", follow=True),
            dermatologist_client.post(
                f"/consultations/{c.pk}/sign/", {"version": "1"}, follow=True
            ),
        )
        for name, c in {"before birth": before_birth, "too many": too_many}.items()
    }

    problems = {
        "before birth": "The advice cannot be shown until this is corrected: The patient's age "
        "on the consultation date must be a number from 0 to 130.",
        "too many": "The advice cannot be shown until this is corrected: The list of sites "
        f"must be a list of 1 to {MAX_SITES} sites.",
    }
    for name, answers in pages.items():
        assert [a.status_code for a in answers] == [200, 200, 200], name
        for answer in answers:
            assert problems[name].replace("'", "&#x27;") in answer.content.decode(), name
    before_birth.refresh_from_db()
    assert before_birth.status == "draft"


# --- Signed means final, in the admin and in the database --------------------------------------


@pytest.fixture
def signed_plan(dermatologist):
    """A signed consultation with a site, a plan, a planned treatment and one session."""
    from tests.factories import make_course

    return make_course(dermatologist)


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def _record_of(consultation):
    from treatments.models import LesionSite, Plan, PlannedTreatment, Session, TriedTreatment

    return {
        "sites": list(LesionSite.objects.filter(consultation=consultation).values()),
        "tried": list(TriedTreatment.objects.filter(site__consultation=consultation).values()),
        "plans": list(Plan.objects.filter(consultation=consultation).values()),
        "planned": list(PlannedTreatment.objects.filter(plan__consultation=consultation).values()),
        "planned sites": list(
            PlannedTreatment.sites.through.objects.filter(
                plannedtreatment__plan__consultation=consultation
            ).values()
        ),
        "sessions": list(
            Session.objects.filter(planned_treatment__plan__consultation=consultation).values(
                "id", "planned_treatment_id", "number", "scheduled_for"
            )
        ),
        "consultation": type(consultation).objects.filter(pk=consultation.pk).values().get(),
    }


def test_a_signed_consultation_cannot_change_in_the_admin_even_for_a_superuser(
    superuser_client, dermatologist_client, signed_plan
):
    planned = signed_plan
    plan, consultation = planned.plan, planned.plan.consultation
    site = consultation.sites.get()
    session = planned.treatment_sessions.get()
    before = _record_of(consultation)
    new_site = {
        "consultation": consultation.pk,
        "location": "chin",
        "side": "midline",
        "count": "1",
        "largest_mm": "1.0",
        "depth": "superficial",
        "months_present": "1",
        "tried-TOTAL_FORMS": "0",
        "tried-INITIAL_FORMS": "0",
    }
    new_planned = {"plan": plan.pk, "treatment": planned.treatment_id, "sessions": "1"}
    new_session = {"planned_treatment": planned.pk, "number": "2", "scheduled_for": "2027-01-01"}

    answers = {
        "add site": superuser_client.post("/admin/treatments/lesionsite/add/", new_site),
        "change site": superuser_client.post(
            f"/admin/treatments/lesionsite/{site.pk}/change/", new_site
        ),
        "delete site": superuser_client.post(
            f"/admin/treatments/lesionsite/{site.pk}/delete/", {"post": "yes"}
        ),
        "add plan": superuser_client.post(
            "/admin/treatments/plan/add/",
            {"consultation": consultation.pk, "created_by": planned.plan.created_by_id},
        ),
        "change plan": superuser_client.post(
            f"/admin/treatments/plan/{plan.pk}/change/", {"notes": "changed"}
        ),
        "delete plan": superuser_client.post(
            f"/admin/treatments/plan/{plan.pk}/delete/", {"post": "yes"}
        ),
        "delete plans in bulk": superuser_client.post(
            "/admin/treatments/plan/",
            {"action": "delete_selected", "_selected_action": [plan.pk], "post": "yes"},
        ),
        "add planned": superuser_client.post(
            "/admin/treatments/plannedtreatment/add/", new_planned
        ),
        "change planned": superuser_client.post(
            f"/admin/treatments/plannedtreatment/{planned.pk}/change/", new_planned
        ),
        "delete planned": superuser_client.post(
            f"/admin/treatments/plannedtreatment/{planned.pk}/delete/", {"post": "yes"}
        ),
        "add session": superuser_client.post("/admin/treatments/session/add/", new_session),
        "reschedule session": superuser_client.post(
            f"/admin/treatments/session/{session.pk}/change/",
            new_session | {"number": "1", "done_at_0": "", "done_at_1": ""},
        ),
        "delete session": superuser_client.post(
            f"/admin/treatments/session/{session.pk}/delete/", {"post": "yes"}
        ),
    }

    refused_in_form = {"add site", "add plan", "add planned", "add session"}
    # The session's form saves what may change (whether it was done); the rest is read-only.
    assert {name: response.status_code for name, response in answers.items()} == {
        name: 200 if name in refused_in_form else 302 if name == "reschedule session" else 403
        for name in answers
    }
    for name in refused_in_form:
        assert "This consultation is signed and can no longer be changed." in (
            answers[name].content.decode()
        ), name
    assert _record_of(consultation) == before
    page = dermatologist_client.get(f"/consultations/{consultation.pk}/")
    assert page.status_code == 200


def test_a_session_of_a_signed_consultation_can_still_be_marked_done(
    superuser_client, staff_client, staff, signed_plan
):
    from tests.test_user_admin import admin_form_data

    session = signed_plan.treatment_sessions.get()
    url = f"/admin/treatments/session/{session.pk}/change/"
    data = admin_form_data(superuser_client.get(url))

    response = superuser_client.post(
        url,
        data | {"done_at_0": "2026-11-20", "done_at_1": "10:00:00", "done_by": str(staff.pk)},
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.done_by, str(session.done_at.date())) == (staff, "2026-11-20")


def _refused_by_the_database(change) -> bool:
    from django.db import IntegrityError, transaction

    try:
        with transaction.atomic():
            change()
    except IntegrityError as refused:
        return "a signed consultation is read-only" in str(refused)
    return False


def test_the_database_refuses_any_change_under_a_signed_consultation(signed_plan, staff):
    from django.db import connection
    from django.utils import timezone

    from treatments.models import (
        Consultation,
        LesionSite,
        Plan,
        PlannedTreatment,
        Session,
        TriedTreatment,
    )

    planned = signed_plan
    consultation = planned.plan.consultation
    site = consultation.sites.get()
    session = planned.treatment_sessions.get()
    before = _record_of(consultation)
    changes = {
        "consultation": lambda: Consultation.objects.filter(pk=consultation.pk).update(notes="x"),
        "add site": lambda: LesionSite.objects.create(
            consultation=consultation, location="chin", side="midline", count=1,
            largest_mm=1, months_present=1,
        ),
        "change site": lambda: LesionSite.objects.filter(pk=site.pk).update(count=9),
        "add tried": lambda: TriedTreatment.objects.create(site=site, treatment="cryotherapy"),
        "change plan": lambda: Plan.objects.filter(pk=planned.plan_id).update(notes="x"),
        "add plan treatment": lambda: PlannedTreatment.objects.create(
            plan=planned.plan, treatment_id=planned.treatment_id + 1, sessions=1
        ),
        "change planned": lambda: PlannedTreatment.objects.filter(pk=planned.pk).update(
            sessions=9
        ),
        "add planned site": lambda: PlannedTreatment.sites.through.objects.filter(
            plannedtreatment=planned
        ).update(lesionsite=site),
        "add session": lambda: Session.objects.create(planned_treatment=planned, number=2),
        "reschedule session": lambda: Session.objects.filter(pk=session.pk).update(
            scheduled_for=timezone.localdate().replace(year=2030)
        ),
    }  # fmt: skip
    if connection.vendor == "postgresql":
        changes |= {
            "delete consultation's plan": lambda: Plan.objects.filter(pk=planned.plan_id).delete(),
            "delete site": lambda: LesionSite.objects.filter(pk=site.pk).delete(),
            "delete session": lambda: Session.objects.filter(pk=session.pk).delete(),
            "unlink planned site": lambda: planned.sites.clear(),
        }

    refused = {name: _refused_by_the_database(change) for name, change in changes.items()}

    assert refused == dict.fromkeys(changes, True)
    assert _record_of(consultation) == before
    # Sessions record what took place: marking one done (with its reason) is still possible,
    # and so is undoing it.
    Session.objects.filter(pk=session.pk).update(
        done_at=timezone.now(), done_by=staff, done_reason="Brought forward."
    )
    assert Session.objects.get(pk=session.pk).done_reason == "Brought forward."
    Session.objects.filter(pk=session.pk).update(done_at=None, done_by=None, done_reason="")
    assert Session.objects.get(pk=session.pk).done_by is None


@pytest.mark.skipif(
    "not __import__('django.db').db.connection.vendor == 'sqlite'",
    reason="on PostgreSQL the database refuses deletes as well (the test above)",
)
def test_on_sqlite_deletes_under_a_signed_consultation_are_refused_by_the_services_and_admin(
    signed_plan, superuser_client
):
    from treatments import services

    site = signed_plan.plan.consultation.sites.get()
    with pytest.raises(services.ConsultationSigned):
        services.site_delete(site=site, version=1)
    response = superuser_client.post(
        f"/admin/treatments/lesionsite/{site.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403


def test_an_admin_edit_of_a_draft_moves_its_version_on(
    superuser_client, dermatologist_client, dermatologist
):
    from tests.factories import make_consultation, make_site
    from tests.test_user_admin import admin_form_data
    from treatments.models import Consultation

    consultation = make_consultation(clinician=dermatologist, milia_type="primary")
    site = make_site(consultation)
    opened = dermatologist_client.get(f"/consultations/{consultation.pk}/")
    seen = opened.context["consultation"].version
    versions = [Consultation.objects.get().version]

    url = f"/admin/treatments/consultation/{consultation.pk}/change/"
    changed = superuser_client.post(
        url, admin_form_data(superuser_client.get(url)) | {"notes": "n"}
    )
    versions.append(Consultation.objects.get().version)
    site_url = f"/admin/treatments/lesionsite/{site.pk}/change/"
    superuser_client.post(
        site_url, admin_form_data(superuser_client.get(site_url)) | {"count": "7"}
    )
    versions.append(Consultation.objects.get().version)
    stale = dermatologist_client.post(
        f"/consultations/{consultation.pk}/edit/",
        {"date": str(consultation.date), "milia_type": "secondary", "version": seen},
        HTTP_HX_REQUEST="true",
    )

    assert (changed.status_code, versions) == (302, [1, 2, 3])
    assert stale.status_code == 409
    assert Consultation.objects.get().milia_type == "primary"


# --- Lock and statement timeouts (PostgreSQL) -------------------------------------------------

postgresql_only = pytest.mark.skipif(
    "__import__('django.db').db.connection.vendor != 'postgresql'",
    reason="lock_timeout and statement_timeout are PostgreSQL settings (CI runs PostgreSQL)",
)


@postgresql_only
def test_postgresql_connections_give_up_on_locks_and_long_statements():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        lock_timeout = cursor.fetchone()[0]
        cursor.execute("SHOW statement_timeout")
        statement_timeout = cursor.fetchone()[0]

    assert (lock_timeout, statement_timeout) == ("5s", "30s")


@pytest.fixture
def committed_roles(transactional_db):
    """The roles, which a flush after the previous committed test removed."""
    from django.contrib.contenttypes.models import ContentType

    from treatments.reference_data import sync_roles

    ContentType.objects.clear_cache()
    sync_roles()


@postgresql_only
@pytest.mark.parametrize("timeout", ["lock_timeout", "statement_timeout"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_save_blocked_by_another_transaction_answers_try_again(committed_roles, timeout, htmx):
    import psycopg2
    from django.db import connection

    from tests.factories import make_consultation
    from treatments.models import LesionSite

    dermatologist = make_user("dr.blocked", roles.DERMATOLOGIST)
    consultation = make_consultation(clinician=dermatologist)
    client = Client()
    client.force_login(dermatologist)
    client.get("/")  # the session's first request records its start
    with connection.cursor() as cursor:
        # Short timeouts for the test; the one not under test is off.
        other = "statement_timeout" if timeout == "lock_timeout" else "lock_timeout"
        cursor.execute(f"SET {timeout} = '300ms'")
        cursor.execute(f"SET {other} = 0")
    settings_dict = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        password=settings_dict["PASSWORD"] or None,
    )
    try:
        with blocker.cursor() as cursor:
            # Another clinician's save holds the consultation's row lock.
            cursor.execute(
                "SELECT id FROM treatments_consultation WHERE id = %s FOR UPDATE",
                [consultation.pk],
            )
            response = client.post(
                f"/consultations/{consultation.pk}/sites/new/",
                SITE | {"version": "1"},
                **({"HTTP_HX_REQUEST": "true"} if htmx else {}),
            )
    finally:
        blocker.rollback()
        blocker.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
            cursor.execute("RESET statement_timeout")

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert "too busy to finish this in time, so nothing was saved" in response.content.decode()
    if htmx:
        assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#main", "afterbegin")
    assert LesionSite.objects.count() == 0


@pytest.mark.parametrize("body", ["[" * 1500 + "]" * 1500, '{"a": ' + "9" * 5000 + "}"])
def test_the_recommend_command_refuses_hostile_json_as_bad_input(tmp_path, body):
    from django.core.management import CommandError, call_command

    case = tmp_path / "case.json"
    case.write_text(body)

    with pytest.raises(CommandError) as refused:
        call_command("recommend", str(case))

    assert refused.value.returncode == 2
    assert "nested too deeply or holding a number too long" in str(refused.value)


def test_map_region_tokens_are_salted_hmacs_of_the_user_and_region(settings, dermatologist):
    from django.test import RequestFactory
    from django.utils.crypto import salted_hmac

    from treatments.views import _region_tokens

    request = RequestFactory().get("/")
    request.user = dermatologist
    for secret in ("one secret", "another secret"):
        settings.SECRET_KEY = secret
        token = _region_tokens(request)
        for location, side in (("eyelid", "left"), ("other", "midline")):
            expected = salted_hmac(
                "treatments.views.region",
                f"{dermatologist.pk}:{location}:{side}",
                secret=secret,
                algorithm="sha256",
            ).hexdigest()[:20]
            assert token(location, side) == expected
