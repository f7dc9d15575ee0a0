"""Every URL of the app, for every role, against the status it must answer.

The list of URLs comes from the URLconf itself, so a new URL without an expected row here fails
the suite instead of going unchecked.
"""

import json

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from milia_clinic.ids import MAX_ID, IdConverter
from tests.factories import (
    make_consultation,
    make_patient,
    make_photo,
    make_planned,
    make_site,
    make_user,
    sign,
)
from treatments import roles, services

ROLES = ("anonymous", "staff", "dermatologist", "admin")

CASE = {"patient": {"age_years": 30}, "sites": [{"location": "cheek", "count": 1}]}

# url name: (method, what to post, {role: expected status}); statuses in ROLES order.
PAGE = (302, 200, 200, 200)  # any signed-in role may read
CHART = (302, 403, 200, 403)  # clinical writes: dermatologists only
ADMIN_ONLY = (302, 403, 403, 200)
EXPECTED = {
    "login": ("get", None, (200, 200, 200, 200)),
    "logout": ("post", None, (302, 302, 302, 302)),
    "password_change": ("get", None, PAGE),
    "password_change_done": ("get", None, PAGE),
    "treatments:home": ("get", None, PAGE),
    "treatments:patient_list": ("get", None, PAGE),
    "treatments:patient_create": ("get", None, CHART),
    "treatments:patient_detail": ("get", None, PAGE),
    "treatments:patient_update": ("get", None, CHART),
    "treatments:consultation_create": ("get", None, CHART),
    "treatments:consultation_detail": ("get", None, PAGE),
    "treatments:consultation_update": (
        "post",
        {"date": "2026-11-26", "milia_type": "primary"},
        (302, 403, 302, 403),
    ),
    "treatments:site_create": ("get", None, CHART),
    "treatments:site_update": ("get", None, CHART),
    "treatments:site_delete": ("post", None, (302, 403, 302, 403)),
    "treatments:plan_edit": ("get", None, CHART),
    "treatments:consultation_sign": ("post", None, (302, 403, 302, 403)),
    # To a signed consultation; posted empty, so the dermatologist is shown the field's message.
    "treatments:addendum_create": ("post", None, (302, 403, 400, 403)),
    "treatments:session_list": ("get", None, PAGE),
    "treatments:session_done": ("get", None, (302, 200, 200, 403)),
    "treatments:session_undo": ("post", None, (302, 302, 302, 403)),
    "treatments:session_keepalive": ("post", None, (302, 204, 204, 204)),
    "treatments:today": ("get", None, PAGE),
    "treatments:today_pdf": ("get", None, PAGE),
    "treatments:aftercare_sheet": ("get", None, PAGE),
    "treatments:aftercare_pdf": ("get", None, PAGE),
    "treatments:handout": ("get", None, PAGE),
    "treatments:handout_pdf": ("get", None, PAGE),
    "treatments:api_recommendations": ("json", CASE, (401, 200, 200, 200)),
    "treatments:api_rules": ("get", None, (401, 200, 200, 200)),
    "treatments:rules_reference": ("get", None, PAGE),
    "audit:report": ("get", None, ADMIN_ONLY),
    "audit:export": ("get", None, ADMIN_ONLY),
    "audit:verify": ("get", None, ADMIN_ONLY),
    # The CDS Hooks endpoints take an EHR's token, never a session: without one, 401 for all.
    "treatments:cds_discovery": ("get", None, (200, 200, 200, 200)),
    "treatments:cds_service": ("post", None, (401, 401, 401, 401)),
    "treatments:cds_feedback": ("post", None, (401, 401, 401, 401)),
    "treatments:cds_feedback_report": ("get", None, ADMIN_ONLY),
    "treatments:fhir_export": ("get", None, PAGE),
    # Clinical photos: clinicians and the staff who treat see them, the clinic admin does not;
    # posted empty, the dermatologist is shown the fields' messages.
    # A site's ranked options, opened from the chart: whoever may read the consultation.
    "treatments:site_advice": ("get", None, PAGE),
    "treatments:site_photos": ("get", None, (302, 200, 200, 403)),
    "treatments:photo_upload": ("post", None, (302, 403, 400, 403)),
    "treatments:photo_file": ("get", None, (302, 200, 200, 403)),
    # Only a dermatologist removes a photo (of a draft), then is sent back to the site's photos.
    "treatments:photo_remove": ("post", None, (302, 403, 302, 403)),
    # Opens (or returns the open) follow-up of the signed consultation.
    "treatments:follow_up_start": ("post", None, (302, 403, 302, 403)),
    "treatments:site_outcome_edit": ("get", None, CHART),
    "treatments:site_outcome_remove": ("post", None, (302, 403, 302, 403)),
    "treatments:outcome_report": ("get", None, ADMIN_ONLY),
    "treatments:outcome_report_csv": ("get", None, ADMIN_ONLY),
}


def _named_urls(resolver=None, namespace=""):
    """Every named URL pattern of the project outside the Django admin."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_urls(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_access_matrix_covers_every_url_of_the_urlconf():
    assert sorted(set(_named_urls())) == sorted(EXPECTED)


@pytest.fixture
def records(db):
    """One of everything, so every URL has a real record to point at."""
    dermatologist = make_user("matrix.derm", roles.DERMATOLOGIST)
    patient = make_patient()
    draft = make_consultation(patient=patient, clinician=dermatologist)
    site = make_site(draft, location="cheek", side="left")
    photo = make_photo(site, by=dermatologist)
    signed = make_consultation(patient=patient, clinician=dermatologist)
    signed_site = make_site(signed, location="chin", side="midline")
    planned = make_planned(signed, sites=[signed_site])
    sign(signed)
    follow_up = services.follow_up_start(consultation=signed, clinician=dermatologist)
    return {
        "patient": patient,
        "draft": draft,
        "signed": signed,
        "site": site,
        "photo": photo,
        "planned": planned,
        "session": planned.treatment_sessions.get(),
        "carried": follow_up.site_outcomes.get(),
    }


def _url(name, records):
    args_by_name = {
        "treatments:patient_detail": [records["patient"].pk],
        "treatments:patient_update": [records["patient"].pk],
        "treatments:consultation_create": [records["patient"].pk],
        "treatments:consultation_detail": [records["draft"].pk],
        "treatments:consultation_update": [records["draft"].pk],
        "treatments:site_create": [records["draft"].pk],
        "treatments:plan_edit": [records["draft"].pk],
        "treatments:consultation_sign": [records["draft"].pk],
        "treatments:addendum_create": [records["signed"].pk],
        "treatments:site_update": [records["site"].pk],
        "treatments:site_delete": [records["site"].pk],
        "treatments:session_done": [records["session"].pk],
        "treatments:session_undo": [records["session"].pk],
        "treatments:aftercare_sheet": [records["planned"].pk],
        "treatments:aftercare_pdf": [records["planned"].pk],
        "treatments:handout": ["why-not-at-home"],
        "treatments:handout_pdf": ["why-not-at-home"],
        "treatments:cds_service": ["milia-order-sign"],
        "treatments:cds_feedback": ["milia-order-sign"],
        "treatments:fhir_export": [records["draft"].pk],
        "treatments:site_advice": [records["site"].pk],
        "treatments:site_photos": [records["site"].pk],
        "treatments:photo_upload": [records["site"].pk],
        "treatments:photo_file": [records["photo"].pk, "full"],
        "treatments:photo_remove": [records["photo"].pk],
        "treatments:follow_up_start": [records["signed"].pk],
        "treatments:site_outcome_edit": [records["carried"].pk],
        "treatments:site_outcome_remove": [records["carried"].pk],
    }
    return reverse(name, args=args_by_name.get(name, []))


def _client_for(role, client):
    if role == "anonymous":
        return client
    group = {
        "staff": roles.CLINIC_STAFF,
        "dermatologist": roles.DERMATOLOGIST,
        "admin": roles.CLINIC_ADMIN,
    }[role]
    client.force_login(make_user(f"matrix.{role}", group, is_staff=role == "admin"))
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_access_matrix_each_url_answers_each_role_as_expected(client, records, name, role):
    method, data, statuses = EXPECTED[name]
    browser = _client_for(role, client)
    url = _url(name, records)

    if method == "json":
        response = browser.post(url, json.dumps(data), content_type="application/json")
    else:
        response = getattr(browser, method)(url, data or {})

    assert response.status_code == statuses[ROLES.index(role)]
    if response.status_code == 302 and role == "anonymous" and name != "logout":
        assert response["Location"].startswith(reverse("login"))


# What the clinic admin gets in the Django admin, per registered model: (changelist, add).
# Written out, not asked of the admin classes, so a change to their permissions fails here.
ADMIN_SITE = {
    "auth.User": (200, 200),
    "auth.Group": (200, 403),
    "audit.AuditEvent": (200, 403),
    "auditlog.LogEntry": (403, 403),
    "axes.AccessAttempt": (403, 403),
    "axes.AccessFailureLog": (403, 403),
    "axes.AccessLog": (403, 403),
    # Users, the catalogue texts and the EHR clients are the clinic admin's to edit...
    "treatments.Handout": (200, 200),
    "treatments.EhrClient": (200, 200),
    # ...the five treatments are fixed (edited, never added)...
    "treatments.Treatment": (200, 403),
    # ...and clinical records are only read there, never added.
    "treatments.Patient": (200, 403),
    "treatments.Consultation": (200, 403),
    "treatments.LesionSite": (200, 403),
    "treatments.Recommendation": (200, 403),
    "treatments.ConsultationAddendum": (200, 403),
    "treatments.Plan": (200, 403),
    "treatments.PlannedTreatment": (200, 403),
    "treatments.Session": (200, 403),
    "treatments.CdsFeedback": (200, 403),
}


def _admin_urls():
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        yield model, "changelist", reverse("admin:{}_{}_changelist".format(*info))
        yield model, "add", reverse("admin:{}_{}_add".format(*info))


def test_access_matrix_admin_table_covers_every_model_of_the_admin_site():
    assert sorted(model._meta.label for model in admin.site._registry) == sorted(ADMIN_SITE)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_admin_site_only_for_the_clinic_admin(client, db, role):
    browser = _client_for(role, client)

    found = {
        (model._meta.label, view): browser.get(url).status_code
        for model, view, url in _admin_urls()
    }

    if role == "admin":
        expected = {
            (label, view): status
            for label, statuses in ADMIN_SITE.items()
            for view, status in zip(("changelist", "add"), statuses, strict=True)
        }
    else:
        # Everyone else is sent to the admin's own login page.
        expected = dict.fromkeys(found, 302)
    assert found == expected


def _urls_with_ids(resolver=None, namespace=""):
    """(name, pattern) of every named URL that takes a record's id (``<id:...>``)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _urls_with_ids(pattern, inner)
        elif pattern.name and any(
            isinstance(converter, IdConverter) for converter in pattern.pattern.converters.values()
        ):
            yield f"{namespace}{pattern.name}", pattern


# What a URL's other arguments are given (any valid value).
OTHER_ARGUMENTS = {"size": "full"}


@pytest.mark.parametrize("number", [str(MAX_ID), str(MAX_ID + 1), "9" * 19])
@pytest.mark.parametrize(
    "name", sorted(name for name, _ in _urls_with_ids() if EXPECTED[name][0] != "json")
)
def test_an_id_no_table_holds_is_not_found_not_a_server_error(client, db, name, number):
    pattern = dict(_urls_with_ids())[name]
    arguments = {
        argument: "0" if isinstance(converter, IdConverter) else OTHER_ARGUMENTS[argument]
        for argument, converter in pattern.pattern.converters.items()
    }
    # Reversed with a real id, then given the text: reverse() refuses an id past MAX_ID.
    url = reverse(name, kwargs=arguments).replace("/0/", f"/{number}/")
    client.force_login(make_user("root", roles.CLINIC_ADMIN, is_superuser=True, is_staff=True))

    response = getattr(client, EXPECTED[name][0])(url)

    assert response.status_code == 404
