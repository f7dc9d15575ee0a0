"""The security promises of a health-record system, each proven by a test.

ONC 170.315 (d)(1) authentication, (d)(5) automatic logoff; HIPAA 164.312; OWASP ASVS L2.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session as StoredSession
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.test import Client

from tests.factories import make_consultation, make_patient, make_site, make_user
from treatments import roles, services
from treatments.forms import LesionSiteForm
from treatments.models import Consultation, LesionSite, Plan, TriedTreatment

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "a-long-test-password"


def production_env(**overrides) -> dict:
    """The documented production configuration (.env.example) with a real secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    env["DJANGO_SECRET_KEY"] = "x7Gq2-unguessable-secret-for-the-test-only-Zp9Lm4Rt8Wv1Yb6Nc3Hd"
    env.pop("DATABASE_URL")  # the deploy check needs no database
    return env | overrides


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Deployment settings ----------------------------------------------------------------------


def test_deploy_check_passes_at_warning_level_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_cookies_are_secure_and_http_only():
    script = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS >= 31536000, "
        "s.SECURE_SSL_REDIRECT, s.SESSION_ENGINE)"
    )
    result = run_manage("shell", "--verbosity", "0", "-c", script, env=production_env())
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "True",
        "True",
        "treatments.sessions",
    ]


@pytest.mark.django_db
def test_pages_forbid_caching_framing_inline_script_and_plugins(dermatologist_client):
    response = dermatologist_client.get("/patients/")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
        if directive.strip()
    )
    assert (policy["script-src"], policy["style-src"]) == ("'self'", "'self'")
    assert (policy["object-src"], policy["frame-ancestors"]) == ("'none'", "'none'")
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_templates_hold_no_inline_script_or_style(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation)
    pages = ["/", "/patients/", f"/consultations/{consultation.pk}/", "/patients/new/"]
    for url in pages:
        html = dermatologist_client.get(url).content.decode()
        assert " style=" not in html, url
        assert "<style" not in html, url
        assert "<script>" not in html, url
        assert [
            line for line in html.splitlines() if "<script" in line and "src=" not in line
        ] == []


# --- Authentication ---------------------------------------------------------------------------


def test_password_validators_refuse_weak_passwords():
    for weak in ["password", "12345678901234", "short1!"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("correct horse battery staple 42")


def _attempt_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_for_a_cool_off(settings):
    make_user("target", roles.DERMATOLOGIST, password=PASSWORD)
    client = Client()
    answers = [
        _attempt_login(client, "target", "wrong").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    # Locked: even the right password is refused now.
    locked = _attempt_login(client, "target", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed log-in attempts" in locked.content.decode()

    # Not permanent: once the cool-off has passed, the right password works again.
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=time_ago(settings.AXES_COOLOFF_TIME * 2))
    response = _attempt_login(client, "target", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/")


def time_ago(delta):
    from django.utils import timezone

    return timezone.now() - delta


@pytest.mark.django_db
def test_logout_ends_the_session_on_the_server():
    make_user("leaving", roles.CLINIC_STAFF, password=PASSWORD)
    client = Client()
    _attempt_login(client, "leaving", PASSWORD)
    session_key = client.cookies["sessionid"].value
    assert StoredSession.objects.filter(session_key=session_key).exists()

    client.post("/accounts/logout/")

    assert not StoredSession.objects.filter(session_key=session_key).exists()
    replay = Client()
    replay.cookies["sessionid"] = session_key
    assert replay.get("/patients/").status_code == 302


@pytest.mark.django_db
def test_deactivating_a_user_ends_their_sessions(staff):
    client = Client()
    client.force_login(staff)
    assert client.get("/patients/").status_code == 200

    staff.is_active = False
    staff.save()

    assert client.get("/patients/")["Location"] == "/accounts/login/?next=/patients/"


@pytest.mark.django_db
def test_idle_session_is_logged_off_with_a_message(settings, staff_client):
    staff_client.get("/")
    session = staff_client.session
    session["last_seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 1
    session.save()

    response = staff_client.get("/patients/", follow=True)

    assert response.redirect_chain[0] == ("/accounts/login/?next=/patients/", 302)
    assert "logged out after 15 minutes without activity" in response.content.decode()


@pytest.mark.django_db
def test_active_session_is_kept(settings, staff_client):
    staff_client.get("/")
    session = staff_client.session
    session["last_seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS + 30
    session.save()
    assert staff_client.get("/patients/").status_code == 200


@pytest.mark.django_db
def test_session_has_an_absolute_lifetime_whatever_the_activity(settings, staff_client):
    staff_client.get("/")
    session = staff_client.session
    session["started_at"] = int(time.time()) - settings.SESSION_COOKIE_AGE - 1
    session["last_seen"] = int(time.time())
    session.save()
    assert staff_client.get("/patients/")["Location"] == "/accounts/login/?next=/patients/"


@pytest.mark.django_db
def test_idle_warning_is_on_every_signed_in_page(staff_client, settings):
    html = staff_client.get("/").content.decode()
    assert f'data-idle-seconds="{settings.SESSION_IDLE_SECONDS}"' in html
    assert 'id="idle-warning"' in html


# --- Concurrency and faults -------------------------------------------------------------------


def _site_data(**overrides):
    data = {
        "location": "chin",
        "side": "midline",
        "count": "2",
        "largest_mm": "1.0",
        "depth": "superficial",
        "months_present": "1",
    }
    return data | overrides


@pytest.mark.django_db
def test_second_clinician_saving_a_stale_page_is_refused(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    seen_version = consultation.version
    # The first clinician adds a site: the version moves on.
    first = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/",
        _site_data(version=seen_version),
        HTTP_HX_REQUEST="true",
    )
    assert first.status_code == 200
    # The second, from the page opened before, adds another: refused, with a way to reload.
    second = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/",
        _site_data(location="nose", version=seen_version),
        HTTP_HX_REQUEST="true",
    )
    assert second.status_code == 409
    html = second.content.decode()
    assert "This consultation was changed in another window or by another clinician" in html
    assert "Reload the consultation" in html
    assert '<option value="nose" selected>' in html
    assert list(LesionSite.objects.values_list("location", flat=True)) == ["chin"]


@pytest.mark.django_db
def test_stale_milia_type_change_is_refused_not_overwritten(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist, milia_type="primary")
    stale = consultation.version
    make_site(consultation)
    Consultation.objects.filter(pk=consultation.pk).update(version=stale + 1)

    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/edit/",
        {"date": "2026-11-26", "milia_type": "secondary", "version": stale},
    )

    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.milia_type == "primary"


@pytest.mark.django_db
def test_database_error_mid_save_leaves_nothing_half_saved(dermatologist, monkeypatch):
    consultation = make_consultation(clinician=dermatologist)
    form = LesionSiteForm(_site_data(tried_extraction="failed"), consultation=consultation)
    assert form.is_valid()

    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    # The site row is written first; the failure strikes at the second write.
    monkeypatch.setattr(TriedTreatment.objects, "create", fail)
    with pytest.raises(DatabaseError):
        services.site_save(
            consultation=consultation,
            version=None,
            tried=form.tried_treatments(),
            **form.site_fields(),
        )

    assert (LesionSite.objects.count(), TriedTreatment.objects.count()) == (0, 0)
    consultation.refresh_from_db()
    assert consultation.version == 1


@pytest.mark.django_db
def test_signed_consultation_cannot_change_by_any_path(dermatologist, dermatologist_client):
    consultation = make_consultation(clinician=dermatologist)
    site = make_site(consultation)
    services.consultation_sign(consultation=consultation, user=dermatologist)
    consultation.refresh_from_db()

    # Views refuse, each back to the consultation with the reason in words; nothing changes.
    # Each post is what the page would send, current version included, so that being signed is
    # the only reason left to refuse it.
    version = {"version": consultation.version}
    posts = {
        f"/consultations/{consultation.pk}/sites/new/": _site_data(**version),
        f"/sites/{site.pk}/edit/": _site_data(**version),
        f"/sites/{site.pk}/delete/": version,
        f"/consultations/{consultation.pk}/edit/": {
            "date": "2026-01-01",
            "milia_type": "unsure",
            **version,
        },
        f"/consultations/{consultation.pk}/plan/": version,
    }
    answers = {}
    for url, data in posts.items():
        response = dermatologist_client.post(url, data, follow=True)
        said = [str(message) for message in response.context["messages"]]
        answers[url] = (response.redirect_chain, said)

    refused = (
        [(f"/consultations/{consultation.pk}/", 302)],
        ["This consultation is signed and can no longer be changed."],
    )
    assert answers == dict.fromkeys(posts, refused)
    consultation.refresh_from_db()
    assert (consultation.milia_type, list(consultation.sites.all())) == ("primary", [site])
    # Services refuse.
    with pytest.raises(services.ConsultationSigned):
        services.site_delete(site=site, version=None)
    with pytest.raises(services.ConsultationSigned):
        services.plan_save(consultation=consultation, user=dermatologist, choices=[], version=None)
    # The admin offers no change to a signed consultation, not even to a superuser.
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = make_user("super", is_staff=True, is_superuser=True)
    consultation_admin = admin.site._registry[Consultation]
    site_admin = admin.site._registry[LesionSite]
    assert (
        consultation_admin.has_change_permission(request, consultation),
        consultation_admin.has_delete_permission(request, consultation),
        site_admin.has_change_permission(request, site),
        site_admin.has_delete_permission(request, site),
    ) == (False, False, False, False)
    assert consultation_admin.has_change_permission(
        request, make_consultation(clinician=dermatologist)
    )
    admin_user = make_user("root", roles.CLINIC_ADMIN, is_staff=True)
    admin_client = Client()
    admin_client.force_login(admin_user)
    response = admin_client.post(
        f"/admin/treatments/consultation/{consultation.pk}/change/", {"milia_type": "unsure"}
    )
    assert response.status_code == 403

    after = Consultation.objects.get(pk=consultation.pk)
    assert (after.milia_type, after.date, after.version) == (
        consultation.milia_type,
        consultation.date,
        consultation.version,
    )
    assert list(LesionSite.objects.values_list("pk", flat=True)) == [site.pk]
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_patient_data_never_travels_in_urls(dermatologist_client):
    make_patient(family_name="Zebedee")
    page = dermatologist_client.get("/patients/").content.decode()
    assert 'method="post" action="/patients/"' in page
    response = dermatologist_client.get("/patients/?q=Zebedee")
    assert response.context["query"] == ""


@pytest.mark.django_db
def test_a_hostile_patient_name_shows_escaped_on_every_page(dermatologist, dermatologist_client):
    from django.urls import reverse

    from tests.factories import make_course

    hostile = make_patient(given_name="<script>alert(1)</script>", family_name="<b>Bold</b>")
    planned = make_course(dermatologist, patient=hostile)
    consultation = planned.plan.consultation
    admin_client = Client()
    admin_client.force_login(make_user("auditor", roles.CLINIC_ADMIN, is_staff=True))
    dermatologist_client.get(f"/patients/{hostile.pk}/")  # leaves an audit event to show
    pages = {
        "patient list": dermatologist_client.get("/patients/"),
        "search": dermatologist_client.post("/patients/", {"q": "bold"}),
        "patient": dermatologist_client.get(f"/patients/{hostile.pk}/"),
        "consultation": dermatologist_client.get(f"/consultations/{consultation.pk}/"),
        "today": dermatologist_client.get(reverse("treatments:today")),
        "sessions": dermatologist_client.get("/sessions/"),
        "sheet": dermatologist_client.get(reverse("treatments:aftercare_sheet", args=[planned.pk])),
        "audit": admin_client.get(reverse("audit:report")),
    }
    raw = {
        name: ("<script>alert(1)" in page.content.decode(), "<b>Bold" in page.content.decode())
        for name, page in pages.items()
    }
    assert raw == dict.fromkeys(pages, (False, False))
    shown = {
        name: "&lt;b&gt;Bold&lt;/b&gt;" in page.content.decode() for name, page in pages.items()
    }
    assert shown == dict.fromkeys(pages, True)
