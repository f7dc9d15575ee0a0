"""Roles and catalogue kept in step with the code after every migrate (post_migrate)."""

import pytest
from django.contrib.auth.models import Group, Permission

from treatments.models import Handout, Treatment
from treatments.reference_data import sync_catalogue, sync_roles

pytestmark = pytest.mark.django_db


def test_sync_roles_sets_exactly_the_role_table_again_after_a_manual_change():
    staff = Group.objects.get(name="Clinic staff")
    staff.permissions.add(Permission.objects.get(codename="delete_patient"))
    Group.objects.filter(name="Dermatologist").delete()

    sync_roles()

    assert (
        not Group.objects.get(name="Clinic staff")
        .permissions.filter(codename="delete_patient")
        .exists()
    )
    assert (
        Group.objects.get(name="Dermatologist")
        .permissions.filter(codename="change_consultation")
        .exists()
    )


def test_sync_catalogue_creates_missing_rows_and_keeps_edited_texts():
    Treatment.objects.filter(code="co2_laser").delete()
    Handout.objects.all().delete()
    Treatment.objects.filter(code="extraction").update(summary="Our own words.")

    sync_catalogue()

    assert list(Treatment.objects.values_list("code", flat=True)) == [
        "extraction",
        "chemical_peel",
        "topical_retinoid",
        "cryotherapy",
        "co2_laser",
    ]
    assert Treatment.objects.get(code="extraction").summary == "Our own words."
    assert Handout.objects.filter(slug="why-not-at-home").count() == 1
