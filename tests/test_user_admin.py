"""The users page of the Django admin: a Clinic admin manages users and the three roles, and
never reaches superuser status, raw permissions or a role above their own. Every test goes
through the admin's real forms, as the Clinic admin."""

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from tests.factories import make_user
from treatments import roles

pytestmark = pytest.mark.django_db

User = get_user_model()


def admin_form_data(response) -> dict:
    """What the browser would post back from an admin change form, unchanged, with its
    inlines."""
    data = _form_data(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        data |= _form_data(formset.management_form)
        for form in formset.forms:
            data |= _form_data(form)
    return data


def _form_data(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        bound = form[name]
        value = bound.value()
        if isinstance(field.widget, forms.MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        elif value is not None:
            data[bound.html_name] = str(value)
    return data


@pytest.fixture
def admin_client(clinic_admin):
    client = Client()
    client.force_login(clinic_admin)
    return client


def _change(client, user, **changes):
    url = f"/admin/auth/user/{user.pk}/change/"
    return client.post(url, admin_form_data(client.get(url)) | changes)


def test_clinic_admin_is_not_offered_superuser_status_or_raw_permissions(admin_client):
    nurse = make_user("nurse.a", roles.CLINIC_STAFF)

    form = admin_client.get(f"/admin/auth/user/{nurse.pk}/change/").context["adminform"].form

    assert ("is_superuser" in form.fields, "user_permissions" in form.fields) == (False, False)
    assert sorted(form.fields["groups"].queryset.values_list("name", flat=True)) == sorted(
        [roles.CLINIC_ADMIN, roles.CLINIC_STAFF, roles.DERMATOLOGIST]
    )


def test_clinic_admin_cannot_make_themselves_superuser(admin_client, clinic_admin):
    delete_user = Permission.objects.get(codename="delete_user")

    response = _change(
        admin_client,
        clinic_admin,
        is_superuser="on",
        user_permissions=[str(delete_user.pk)],
    )

    assert response.status_code == 302
    clinic_admin.refresh_from_db()
    assert (clinic_admin.is_superuser, list(clinic_admin.user_permissions.all())) == (False, [])


def test_clinic_admin_assigns_the_three_roles(admin_client):
    nurse = make_user("nurse.b", roles.CLINIC_STAFF)
    dermatologist = Group.objects.get(name=roles.DERMATOLOGIST)

    response = _change(admin_client, nurse, groups=[str(dermatologist.pk)])

    assert response.status_code == 302
    assert list(nurse.groups.values_list("name", flat=True)) == [roles.DERMATOLOGIST]


def test_clinic_admin_cannot_assign_a_group_beyond_the_roles(admin_client):
    nurse = make_user("nurse.c", roles.CLINIC_STAFF)
    powerful = Group.objects.create(name="Superpowers")
    powerful.permissions.add(Permission.objects.get(codename="delete_user"))

    response = _change(admin_client, nurse, groups=[str(powerful.pk)])

    assert response.status_code == 200
    assert "groups" in response.context["adminform"].form.errors
    assert list(nurse.groups.values_list("name", flat=True)) == [roles.CLINIC_STAFF]


def test_a_new_user_made_by_a_clinic_admin_gets_only_a_role(admin_client):
    add = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "dr.new",
            "usable_password": "true",
            "password1": "a-long-fresh-password-42",
            "password2": "a-long-fresh-password-42",
            "is_superuser": "on",
        },
    )
    user = User.objects.get(username="dr.new")
    assert (add.status_code, user.is_superuser) == (302, False)

    response = _change(
        admin_client,
        user,
        is_superuser="on",
        groups=[str(Group.objects.get(name=roles.DERMATOLOGIST).pk)],
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.is_superuser, [g.name for g in user.groups.all()]) == (
        False,
        [roles.DERMATOLOGIST],
    )


def test_clinic_admin_cannot_change_a_user_above_their_role(admin_client):
    superuser = make_user("root", is_staff=True, is_superuser=True)
    powerful = make_user("ops", roles.CLINIC_ADMIN)
    powerful.user_permissions.add(Permission.objects.get(codename="delete_user"))
    outside = make_user("auditor", is_staff=True)
    outside.groups.add(Group.objects.create(name="External auditors"))

    answers = {
        user.username: (
            admin_client.post(
                f"/admin/auth/user/{user.pk}/change/", {"username": user.username}
            ).status_code,
            admin_client.post(
                f"/admin/auth/user/{user.pk}/password/",
                {"password1": "a-takeover-password-42", "password2": "a-takeover-password-42"},
            ).status_code,
        )
        for user in (superuser, powerful, outside)
    }

    assert answers == {"root": (403, 403), "ops": (403, 403), "auditor": (403, 403)}
    superuser.refresh_from_db()
    assert superuser.check_password("a-long-test-password")


def test_a_superuser_may_still_grant_superuser_status(clinic_admin):
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))

    response = _change(client, clinic_admin, is_superuser="on")

    assert response.status_code == 302
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_superuser is True
