"""The project's wiring: settings, migrations, roles, the database CI asked for."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from treatments import roles

REPO = Path(__file__).resolve().parents[1]


def test_database_is_the_one_ci_asked_for():
    # .ci/run sets MILIA_EXPECT_DATABASE so that a PostgreSQL run silently falling back to
    # SQLite fails here instead of passing.
    expected = os.environ.get("MILIA_EXPECT_DATABASE")
    if expected is None:
        pytest.skip("MILIA_EXPECT_DATABASE is not set (only .ci/run sets it)")
    assert connection.vendor == expected


@pytest.mark.django_db
def test_migrations_are_up_to_date():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "No changes detected"


def _run_manage(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= env_overrides
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_secret_key():
    result = _run_manage("check", env_overrides={"DJANGO_DEBUG": "0"})
    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_settings_start_with_secret_key():
    result = _run_manage(
        "check", env_overrides={"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50}
    )
    assert (result.returncode, result.stderr) == (0, "")


# What each role may do, written out rather than read from `treatments.roles`: a change to a
# role's reach must change this table too, on purpose.
EXPECTED_ROLE_PERMISSIONS = {
    "Dermatologist": {
        "treatments.view_patient", "treatments.add_patient", "treatments.change_patient",
        "treatments.view_consultation", "treatments.add_consultation",
        "treatments.change_consultation",
        "treatments.view_lesionsite", "treatments.add_lesionsite", "treatments.change_lesionsite",
        "treatments.delete_lesionsite",
        "treatments.view_triedtreatment", "treatments.add_triedtreatment",
        "treatments.change_triedtreatment", "treatments.delete_triedtreatment",
        "treatments.view_plan", "treatments.add_plan", "treatments.change_plan",
        "treatments.view_plannedtreatment", "treatments.add_plannedtreatment",
        "treatments.change_plannedtreatment", "treatments.delete_plannedtreatment",
        "treatments.view_session", "treatments.add_session", "treatments.change_session",
        "treatments.delete_session",
        "treatments.view_treatment", "treatments.view_handout",
        "treatments.view_recommendation", "treatments.add_recommendation",
        "treatments.view_consultationaddendum", "treatments.add_consultationaddendum",
        "treatments.view_clinicalphoto", "treatments.add_clinicalphoto",
        "treatments.delete_clinicalphoto",
        "treatments.view_siteoutcome", "treatments.add_siteoutcome",
        "treatments.change_siteoutcome", "treatments.delete_siteoutcome",
    },
    "Clinic staff": {
        "treatments.view_patient", "treatments.view_consultation", "treatments.view_lesionsite",
        "treatments.view_triedtreatment", "treatments.view_plan",
        "treatments.view_plannedtreatment", "treatments.view_session",
        "treatments.change_session",
        "treatments.view_treatment", "treatments.view_handout", "treatments.view_recommendation",
        "treatments.view_consultationaddendum",
        "treatments.view_clinicalphoto",
        "treatments.view_siteoutcome",
    },
    "Clinic admin": {
        "treatments.view_treatment", "treatments.add_treatment", "treatments.change_treatment",
        "treatments.delete_treatment",
        "treatments.view_handout", "treatments.add_handout", "treatments.change_handout",
        "treatments.delete_handout",
        "treatments.view_patient", "treatments.view_consultation", "treatments.view_lesionsite",
        "treatments.view_triedtreatment", "treatments.view_plan",
        "treatments.view_plannedtreatment", "treatments.view_session",
        "treatments.view_recommendation", "treatments.view_consultationaddendum",
        "auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group",
        "audit.view_auditevent",
        "treatments.view_ehrclient", "treatments.add_ehrclient", "treatments.change_ehrclient",
        "treatments.delete_ehrclient",
        "treatments.view_cdscard", "treatments.view_cdsfeedback",
        "treatments.view_siteoutcome", "treatments.view_outcome_report",
    },
}  # fmt: skip


@pytest.mark.django_db
def test_role_groups_exist_with_their_permissions():
    granted = {
        group.name: {
            f"{app}.{code}"
            for app, code in group.permissions.values_list("content_type__app_label", "codename")
        }
        for group in Group.objects.filter(name__in=EXPECTED_ROLE_PERMISSIONS)
    }

    assert granted == EXPECTED_ROLE_PERMISSIONS


@pytest.mark.django_db
def test_staff_role_cannot_change_clinical_data(staff):
    changes = {
        "treatments.change_patient",
        "treatments.change_consultation",
        "treatments.change_lesionsite",
        "treatments.add_consultation",
        "treatments.change_plannedtreatment",
    }
    assert {perm for perm in changes if staff.has_perm(perm)} == set()
    assert staff.has_perm("treatments.change_session")


@pytest.mark.django_db
def test_dermatologist_can_chart_but_not_delete_patients(dermatologist):
    assert dermatologist.has_perm("treatments.change_consultation")
    assert dermatologist.has_perm("treatments.add_lesionsite")
    assert not dermatologist.has_perm("treatments.delete_patient")


@pytest.mark.django_db
def test_seed_demo_twice_does_not_duplicate(settings):
    from treatments.models import Consultation, Patient

    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    # Six patients seen once, and one followed over three visits (all three signed).
    assert (Patient.objects.count(), Consultation.objects.count()) == (7, 9)
    assert Consultation.objects.filter(status="signed").count() == 4
    assert Group.objects.get(name=roles.DERMATOLOGIST).user_set.count() == 1


@pytest.mark.django_db
def test_seed_demo_refuses_when_debug_is_off(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing to create demo users"):
        call_command("seed_demo", stdout=StringIO())


def test_anonymous_visitor_first_sees_the_login_page(client):
    response = client.get("/", follow=True)
    assert response.redirect_chain == [("/accounts/login/?next=/", 302)]
    assert response.templates[0].name == "registration/login.html"
