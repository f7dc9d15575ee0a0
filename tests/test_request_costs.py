"""What makes a request cheaper (issue 14) keeps the behaviour it replaced: the signed-in user
read with their role permissions in one query (treatments.auth_backend), the session read by a
query written once (treatments.sessions), sessions cached on Redis only with REDIS_URL, and the
JSON API encoded by orjson."""

import json
import os
import subprocess
import sys

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_user
from treatments import roles
from treatments.auth_backend import RolePermissionBackend
from treatments.sessions import SessionStore

pytestmark = pytest.mark.django_db

LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_a_users_permissions_are_read_in_one_query_and_match_djangos(
    django_assert_num_queries,
):
    user = make_user("derm", roles.DERMATOLOGIST)
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    expected = ModelBackend().get_all_permissions(fresh(user))
    assert "audit.view_auditevent" in expected  # the user's own permission
    assert "treatments.change_consultation" in expected  # the role's
    user = fresh(user)
    with django_assert_num_queries(1):
        assert RolePermissionBackend().get_all_permissions(user) == expected
        assert user.has_perm("treatments.change_consultation")
        assert user.has_perm("audit.view_auditevent")
        assert not user.has_perm("auth.delete_user")


def test_the_signed_in_user_comes_with_their_permissions_in_one_query(
    django_assert_num_queries,
):
    user = make_user("derm", roles.DERMATOLOGIST, last_login=timezone.now())
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    expected = ModelBackend().get_all_permissions(fresh(user))
    with django_assert_num_queries(1):
        signed_in = RolePermissionBackend().get_user(user.pk)
        assert signed_in == user
        assert signed_in.get_all_permissions() == expected
        assert signed_in.has_perm("treatments.change_consultation")
        assert not signed_in.has_perm("auth.delete_user")
    assert signed_in.last_login == fresh(user).last_login  # dates read as dates, on SQLite too


def test_a_user_without_a_role_is_read_with_no_permissions(django_assert_num_queries):
    user = make_user("nobody")
    with django_assert_num_queries(1):
        assert RolePermissionBackend().get_user(user.pk).get_all_permissions() == set()


def test_a_superuser_still_holds_every_permission():
    user = make_user("root", is_superuser=True)
    signed_in = RolePermissionBackend().get_user(user.pk)
    assert signed_in.get_all_permissions() == ModelBackend().get_all_permissions(fresh(user))
    assert signed_in.has_perm("auth.delete_user")


def test_an_inactive_or_missing_user_is_not_signed_in():
    gone = make_user("gone", roles.DERMATOLOGIST, is_active=False)
    assert RolePermissionBackend().get_user(gone.pk) is None
    assert RolePermissionBackend().get_user(gone.pk + 1000) is None


def test_a_session_is_read_in_one_query_as_djangos_store_reads_it(django_assert_num_queries):
    stored = DjangoSessionStore()
    stored["note"] = "kept"
    stored.save()
    expected = DjangoSessionStore(stored.session_key).load()
    assert expected == {"note": "kept"}
    with django_assert_num_queries(1):
        assert SessionStore(stored.session_key).load() == expected


def test_an_expired_unknown_or_malformed_session_key_reads_as_no_session():
    expired = DjangoSessionStore()
    expired["note"] = "gone"
    expired.set_expiry(-10)
    expired.save()
    for key in (expired.session_key, "x" * 32, "short", None):
        session = SessionStore(key)
        assert session.load() == {}
        assert session.session_key is None


def test_an_inactive_user_has_no_permissions(django_assert_num_queries):
    user = make_user("gone", roles.DERMATOLOGIST, is_active=False)
    with django_assert_num_queries(0):
        assert RolePermissionBackend().get_all_permissions(user) == set()


def test_a_revoked_role_takes_effect_on_the_next_request(client):
    user = make_user("staff", roles.CLINIC_STAFF)
    client.force_login(user)
    assert client.get(reverse("treatments:patient_list")).status_code == 200
    user.groups.remove(Group.objects.get(name=roles.CLINIC_STAFF))
    assert client.get(reverse("treatments:patient_list")).status_code == 403


@override_settings(CACHES=LOCAL_CACHE, SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_deactivating_a_user_ends_a_cached_session_too(client):
    user = make_user("staff", roles.CLINIC_STAFF)
    client.force_login(user)
    assert client.get(reverse("treatments:patient_list")).status_code == 200
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    # Reactivated, the old cookie does not come back to life from the cache.
    response = client.get(reverse("treatments:patient_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@override_settings(CACHES=LOCAL_CACHE, SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_logging_out_ends_a_cached_session(client):
    client.force_login(make_user("staff", roles.CLINIC_STAFF))
    cookie = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    client.cookies["sessionid"] = cookie  # the old cookie, replayed
    assert client.get(reverse("treatments:patient_list")).status_code == 302


@pytest.mark.parametrize(
    ("redis_url", "engine"),
    [
        ("", "treatments.sessions"),
        ("redis://127.0.0.1:6379/0", "django.contrib.sessions.backends.cached_db"),
    ],
)
def test_sessions_are_cached_on_redis_only_when_redis_url_is_set(redis_url, engine):
    environment = {**os.environ, "REDIS_URL": redis_url, "DJANGO_SECRET_KEY": "x"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from milia_clinic import settings as s;"
            "print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'] if hasattr(s, 'CACHES')"
            " else '-')",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown[0] == engine
    assert shown[1] == ("django.core.cache.backends.redis.RedisCache" if redis_url else "-")


def test_the_api_answers_json_encoded_by_orjson(client):
    client.force_login(make_user("derm", roles.DERMATOLOGIST))
    response = client.post(
        reverse("treatments:api_recommendations"), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "not valid JSON" in json.loads(response.content)["errors"][""][0]
    reference = client.get(reverse("treatments:api_rules"))
    assert reference.status_code == 200
    assert reference["Content-Type"] == "application/json"
    assert json.loads(reference.content)
