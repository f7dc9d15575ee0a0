"""Browser tests: Playwright driving the system Chromium against a live test server.

CI (.ci/run) installs Debian's chromium and sets MILIA_REQUIRE_SYSTEM_PACKAGES=1, so there a missing
browser fails the run instead of skipping. On a failure the test keeps a screenshot in
test-artifacts/.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.factories import make_user
from treatments import roles
from treatments.reference_data import sync_catalogue, sync_roles

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# themselves are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a-long-e2e-password"


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        if os.environ.get("MILIA_REQUIRE_SYSTEM_PACKAGES"):
            pytest.fail("Chromium is required (MILIA_REQUIRE_SYSTEM_PACKAGES) but is not installed")
        pytest.skip("the browser tests need Debian's chromium (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash.setdefault(_failed_key, report.failed)
        if report.failed:
            item.stash[_failed_key] = True
    return report


_failed_key = pytest.StashKey[bool]()


@pytest.fixture
def page(browser, request, settings):
    # The live server speaks plain HTTP on localhost.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Every test also proves the pages it visits break no Content Security Policy rule.
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    if request.node.stash.get(_failed_key, False):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()
    assert refused == [], "the Content Security Policy refused something"


@pytest.fixture
def reference_data(transactional_db):
    """The roles and the catalogue, which a flush of the previous test may have removed."""
    ContentType.objects.clear_cache()
    sync_roles()
    sync_catalogue()


@pytest.fixture
def e2e_users(reference_data):
    return {
        "dermatologist": make_user(
            "dr.e2e", roles.DERMATOLOGIST, password=PASSWORD, first_name="Eve", last_name="Derm"
        ),
        "staff": make_user(
            "staff.e2e", roles.CLINIC_STAFF, password=PASSWORD, first_name="Sol", last_name="Nurse"
        ),
    }


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
