import pytest
from django.test.utils import override_settings

from tests.factories import make_user
from treatments import roles


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory):
    with override_settings(
        # The production storage needs `collectstatic` to have run; tests serve from the finders.
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            # Clinical photos go to a folder of the test run, never the project's own.
            "photos": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path_factory.mktemp("photos"))},
            },
        },
        # A deliberately slow password hash is pointless in tests and costs seconds per user.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # The suite runs on any day of the week: a course signed to start today starts today.
        # The tests of the clinic's open days set their own.
        MILIA_CLINIC_OPEN_DAYS=frozenset(range(7)),
    ):
        yield


@pytest.fixture
def dermatologist(db):
    return make_user("dr.grey", roles.DERMATOLOGIST)


@pytest.fixture
def staff(db):
    return make_user("nurse.lee", roles.CLINIC_STAFF)


@pytest.fixture
def clinic_admin(db):
    return make_user("admin.kay", roles.CLINIC_ADMIN, is_staff=True)


@pytest.fixture
def dermatologist_client(client, dermatologist):
    client.force_login(dermatologist)
    return client


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client
