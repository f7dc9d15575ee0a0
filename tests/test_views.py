import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import (
    make_consultation,
    make_course,
    make_patient,
    make_planned,
    make_site,
    sign,
)
from treatments import selectors, services
from treatments.models import (
    Consultation,
    LesionSite,
    Patient,
    Plan,
    Recommendation,
    Session,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def site_post(**overrides):
    data = {
        "location": "eyelid",
        "side": "left",
        "count": "4",
        "largest_mm": "1.0",
        "depth": "superficial",
        "months_present": "3",
        "version": "1",  # a fresh consultation's; the views require it
    }
    return data | overrides


def plan_post(rows):
    """rows: {code: {field: value}} for the included rows; the others are left out."""
    order = ["extraction", "chemical_peel", "topical_retinoid", "cryotherapy", "co2_laser"]
    data = {
        "plan-TOTAL_FORMS": "5",
        "plan-INITIAL_FORMS": "5",
        "plan-MIN_NUM_FORMS": "5",
        "plan-MAX_NUM_FORMS": "5",
        "version": "1",
    }
    for index, code in enumerate(order):
        data[f"plan-{index}-treatment"] = code
        for field, value in rows.get(code, {}).items():
            data[f"plan-{index}-{field}"] = value
    return data


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/", "/patients/", "/patients/new/", "/sessions/"],
)
def test_pages_send_anonymous_users_to_login(client, url):
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")


def test_staff_are_refused_clinical_edit_pages_with_a_friendly_page(staff_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    site = make_site(consultation)
    for method, url in [
        ("get", "/patients/new/"),
        ("get", f"/patients/{consultation.patient_id}/edit/"),
        ("get", f"/patients/{consultation.patient_id}/consultations/new/"),
        ("get", f"/consultations/{consultation.pk}/sites/new/"),
        ("get", f"/sites/{site.pk}/edit/"),
        ("post", f"/sites/{site.pk}/delete/"),
        ("get", f"/consultations/{consultation.pk}/plan/"),
        ("post", f"/consultations/{consultation.pk}/sign/"),
        ("post", f"/consultations/{consultation.pk}/edit/"),
    ]:
        response = getattr(staff_client, method)(url)
        assert response.status_code == 403, url
        assert "not part of your role" in response.content.decode()
    assert LesionSite.objects.count() == 1


def test_staff_can_read_a_consultation_without_edit_controls(staff_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation)
    response = staff_client.get(f"/consultations/{consultation.pk}/")
    assert response.status_code == 200
    assert response.context["chart"].can_edit is False
    assert "Review and sign" not in response.content.decode()


def test_favicon_is_served_at_the_root_to_anyone_and_linked_from_every_page(client, staff_client):
    root = client.get("/favicon.ico")
    page = staff_client.get("/").content.decode()
    linked = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)

    assert (root.status_code, root["Content-Type"]) == (200, "image/x-icon")
    assert b"".join(root.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an icon file
    # The tests serve no static files; the browser tests load the linked icon.
    assert (linked, finders.find("img/favicon.svg") is not None) == (
        "/static/img/favicon.svg",
        True,
    )


# --- Patients -------------------------------------------------------------------------------


def test_patient_search_is_partial_case_insensitive_and_posted(dermatologist_client):
    make_patient(given_name="Amelia", family_name="Hart", medical_record_number="A-100")
    make_patient(given_name="Kwame", family_name="Mensah", medical_record_number="B-200")
    response = dermatologist_client.post("/patients/", {"q": "hAR"})
    assert [p.family_name for p in response.context["page"].object_list] == ["Hart"]
    response = dermatologist_client.post("/patients/", {"q": "b-2"})
    assert [p.family_name for p in response.context["page"].object_list] == ["Mensah"]
    response = dermatologist_client.post("/patients/", {"q": "amelia hart"})
    assert [p.family_name for p in response.context["page"].object_list] == ["Hart"]


def test_patient_search_htmx_answers_the_results_partial(dermatologist_client):
    make_patient(family_name="Hart")
    response = dermatologist_client.post("/patients/", {"q": "hart"}, **HTMX)
    assert [t.name for t in response.templates][0] == "treatments/_patient_results.html"


def test_patient_create_with_bad_fields_names_them_and_saves_nothing(dermatologist_client):
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = dermatologist_client.post(
        "/patients/new/",
        {
            "medical_record_number": "",
            "given_name": "Ada",
            "family_name": "",
            "date_of_birth": future,
        },  # fmt: skip
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"medical_record_number", "family_name", "date_of_birth"}
    assert errors["date_of_birth"] == ["The date of birth cannot be in the future."]
    assert Patient.objects.count() == 0


def test_patient_create_duplicate_record_number_is_refused_by_name(dermatologist_client):
    make_patient(medical_record_number="MRN-7")
    response = dermatologist_client.post(
        "/patients/new/",
        {"medical_record_number": "MRN-7", "given_name": "A", "family_name": "B",
         "date_of_birth": "1990-01-01"},
    )  # fmt: skip
    assert response.context["form"].errors["medical_record_number"] == [
        "Patient with this Record number already exists."
    ]


def test_patient_create_then_detail(dermatologist_client):
    response = dermatologist_client.post(
        "/patients/new/",
        {"medical_record_number": "MRN-9", "given_name": "Ada", "family_name": "Byron",
         "date_of_birth": "1990-01-01", "fitzpatrick": "4", "pregnant": "on"},
    )  # fmt: skip
    patient = Patient.objects.get(medical_record_number="MRN-9")
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert (patient.fitzpatrick, patient.pregnant) == (4, True)


# --- Charting -------------------------------------------------------------------------------


def test_site_create_by_htmx_returns_the_chart_with_cryotherapy_contraindicated(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)
    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/", site_post(), **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#chart"
    # The chart fragment is a Jinja2 template (docs/hot-pages.md): no Django context to look in.
    (row,) = selectors.consultation_chart(consultation.pk, user=dermatologist).matrix
    statuses = {name: badge.status for name, badge in row.cells}
    assert statuses["Cryotherapy"] == "contraindicated"
    assert "Cryotherapy: contraindicated" in response.content.decode()


def test_site_create_invalid_keeps_what_was_typed(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/",
        site_post(count="0", largest_mm="2.5", tried_extraction="failed"),
        **HTMX,
    )
    assert response.status_code == 400
    form = response.context["site_form"]
    assert form.errors == {"count": ["Enter at least 1 milium."]}
    html = response.content.decode()
    assert 'value="2.5"' in html
    assert '<option value="failed" selected>' in html
    assert LesionSite.objects.count() == 0


def test_site_create_same_location_and_side_is_refused_in_words(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left")
    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/", site_post(), **HTMX
    )
    assert response.status_code == 400
    assert response.context["site_form"].errors == {
        "side": ["The left eyelid is already charted in this consultation: edit that site instead."]
    }


def test_site_create_same_site_on_both_sides_is_refused_in_words(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="cheek", side="bilateral")
    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/",
        site_post(location="cheek", side="bilateral"),
        **HTMX,
    )
    assert response.status_code == 400
    assert response.context["site_form"].errors == {
        "side": [
            "The cheek (both sides) is already charted in this consultation: "
            "edit that site instead."
        ]
    }


def test_site_update_replaces_tried_treatments(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    site = make_site(consultation, tried=[("extraction", True)])
    dermatologist_client.post(
        f"/sites/{site.pk}/edit/",
        site_post(location="cheek", side="left", tried_cryotherapy="failed"),
    )
    assert [(t.treatment, t.worked) for t in site.tried.all()] == [("cryotherapy", False)]


def test_site_delete_removes_it(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    site = make_site(consultation)
    response = dermatologist_client.post(f"/sites/{site.pk}/delete/", {"version": "1"})
    assert response["Location"] == f"/consultations/{consultation.pk}/"
    assert LesionSite.objects.count() == 0


# --- Planning and signing -------------------------------------------------------------------


def _eyelid_and_forehead(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    eyelid = make_site(consultation, location="eyelid", side="left", count=4)
    forehead = make_site(
        consultation,
        location="forehead",
        side="midline",
        largest_mm=Decimal("4.0"),
        months_present=36,
        tried=[("extraction", False)],
    )
    return consultation, eyelid, forehead


def test_plan_prefills_the_catalogue_course(dermatologist_client, dermatologist):
    consultation, eyelid, forehead = _eyelid_and_forehead(dermatologist)
    response = dermatologist_client.get(f"/consultations/{consultation.pk}/plan/")
    initial = {form.initial["treatment"]: form.initial for form in response.context["formset"]}
    assert (initial["chemical_peel"]["sessions"], initial["chemical_peel"]["interval_weeks"]) == (
        4,
        3,
    )
    assert initial["extraction"]["include"] is True


def test_plan_departing_from_the_first_option_asks_for_a_reason(
    dermatologist_client, dermatologist
):
    consultation, eyelid, forehead = _eyelid_and_forehead(dermatologist)
    data = plan_post({"co2_laser": {"include": "on", "sites": str(eyelid.pk), "sessions": "1"}})
    response = dermatologist_client.post(f"/consultations/{consultation.pk}/plan/", data)
    assert response.status_code == 400
    laser_form = response.context["formset"].forms[4]
    assert laser_form.errors["override_reason"] == [
        "A reason is required because the first option for the left eyelid site is mechanical "
        "extraction."
    ]
    assert Plan.objects.count() == 0

    data["plan-4-override_reason"] = "Patient declined needle extraction."
    response = dermatologist_client.post(f"/consultations/{consultation.pk}/plan/", data)
    assert response.status_code == 302
    planned = Plan.objects.get().treatments.get()
    assert (planned.treatment.code, planned.override_reason) == (
        "co2_laser",
        "Patient declined needle extraction.",
    )


def test_plan_cryotherapy_at_an_eyelid_is_refused_whatever_the_reason(
    dermatologist_client, dermatologist
):
    consultation, eyelid, forehead = _eyelid_and_forehead(dermatologist)
    data = plan_post(
        {
            "extraction": {"include": "on", "sites": str(eyelid.pk), "sessions": "1"},
            "cryotherapy": {"include": "on", "sites": str(eyelid.pk), "sessions": "1",
                            "override_reason": "The patient insists on freezing this one.",
                            "accept_contraindication": "on"},
        }
    )  # fmt: skip
    response = dermatologist_client.post(f"/consultations/{consultation.pk}/plan/", data)

    assert response.status_code == 400
    assert response.context["formset"].forms[3].errors["sites"] == [
        "Cryotherapy cannot be planned here: it can never be planned at the left eyelid site "
        "(CRYO-EYE: Eye area: never freeze milia here; the delicate skin can be damaged.)."
    ]
    assert Plan.objects.count() == 0


def test_sign_stores_the_advice_schedules_sessions_and_locks(dermatologist_client, dermatologist):
    consultation, eyelid, forehead = _eyelid_and_forehead(dermatologist)
    start = date(2026, 12, 1)
    data = plan_post(
        {
            "extraction": {"include": "on", "sites": str(eyelid.pk), "sessions": "1",
                           "starts_on": start.isoformat()},
            "cryotherapy": {"include": "on", "sites": str(forehead.pk), "sessions": "2",
                            "interval_weeks": "4", "starts_on": start.isoformat()},
        }
    )  # fmt: skip
    response = dermatologist_client.post(f"/consultations/{consultation.pk}/plan/", data)
    assert response.status_code == 302
    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sign/", {"version": "2"}
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.SIGNED
    stored = Recommendation.objects.get(consultation=consultation)
    assert stored.requested_by == dermatologist
    dates = sorted(
        (s.planned_treatment.treatment.code, s.number, s.scheduled_for)
        for s in Session.objects.select_related("planned_treatment__treatment")
    )
    assert dates == [
        ("cryotherapy", 1, start),
        ("cryotherapy", 2, start + timedelta(weeks=4)),
        ("extraction", 1, start),
    ]
    # Read-only now: a change is refused and nothing moves.
    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/", site_post(location="chin", side="midline")
    )
    assert response.status_code == 302
    assert LesionSite.objects.filter(consultation=consultation).count() == 2
    page = dermatologist_client.get(f"/consultations/{consultation.pk}/")
    assert "This consultation is signed and can no longer be changed." in page.content.decode()


def test_sign_without_sites_is_refused(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sign/", {"version": consultation.version}, follow=True
    )
    consultation.refresh_from_db()
    assert [str(message) for message in response.context["messages"]] == [
        "Chart at least one lesion site before signing."
    ]
    assert (consultation.status, Recommendation.objects.count()) == ("draft", 0)


def test_staff_marks_a_session_done(staff_client, staff, dermatologist):
    consultation, eyelid, forehead = _eyelid_and_forehead(dermatologist)
    session = make_planned(consultation, sites=[forehead]).treatment_sessions.get()
    sign(consultation)

    response = staff_client.post(f"/sessions/{session.pk}/done/")

    session.refresh_from_db()
    assert (response.status_code, response["Location"], session.done_by) == (
        302,
        "/sessions/",
        staff,
    )


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        (  # the same treatment twice
            {"plan-1-treatment": "extraction"},
            "The plan form was altered: reload the page and try again.",
        ),
        (
            {"plan-TOTAL_FORMS": "6", "plan-5-treatment": "extraction"},
            "Please submit at most 5 forms.",
        ),
    ],
)
def test_plan_tampered_rows_are_refused_without_saving(
    dermatologist_client, dermatologist, tamper, error
):
    consultation, eyelid, forehead = _eyelid_and_forehead(dermatologist)
    data = plan_post(
        {
            "extraction": {"include": "on", "sites": str(eyelid.pk), "sessions": "1"},
            "chemical_peel": {"include": "on", "sites": str(eyelid.pk), "sessions": "1"},
        }
    )
    response = dermatologist_client.post(f"/consultations/{consultation.pk}/plan/", data | tamper)
    assert response.status_code == 400
    assert list(response.context["formset"].non_form_errors()) == [error]
    assert Plan.objects.count() == 0


def test_session_list_pages_link_to_each_other(staff_client, dermatologist, monkeypatch):
    from treatments import views

    monkeypatch.setattr(views, "SESSIONS_PER_PAGE", 2)
    make_course(dermatologist, sessions=5, interval_weeks=1)

    first = staff_client.get("/sessions/").content.decode()
    second = staff_client.get("/sessions/?page=2").content.decode()

    assert 'href="?page=2">Next</a>' in first
    assert "Previous" not in first
    assert ('href="?page=1">Previous</a>' in second, 'href="?page=3">Next</a>' in second) == (
        True,
        True,
    )


def test_a_site_the_record_refuses_after_its_form_passed_gets_the_message_not_a_500(
    dermatologist_client, dermatologist, monkeypatch
):
    # The race: another window charts the overlapping site between the form's check and the
    # save, whose full_clean refuses it.
    consultation = make_consultation(clinician=dermatologist)

    def refuse(**fields):
        raise ValidationError({"side": "The left eyelid is already charted in this consultation."})

    monkeypatch.setattr(services, "site_save", refuse)
    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/", site_post(), **HTMX
    )
    assert response.status_code == 400
    assert response.context["site_form"].errors == {
        "side": ["The left eyelid is already charted in this consultation."]
    }
