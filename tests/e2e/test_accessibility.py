"""axe-core on the main pages: no serious or critical violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import log_in
from tests.factories import make_consultation, make_patient, make_site

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']}: "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def test_main_pages_have_no_serious_accessibility_violations(page, live_server, e2e_users):
    patient = make_patient(given_name="Ana", family_name="Lima")
    consultation = make_consultation(patient=patient, clinician=e2e_users["dermatologist"])
    make_site(consultation, location="eyelid", side="left", count=4)
    make_site(consultation, location="forehead", side="midline", count=1)

    page.goto(f"{live_server.url}/accounts/login/")
    found = {"login": serious_violations(page)}
    log_in(page, live_server, "dr.e2e")
    for name, path in [
        ("home", "/"),
        ("patients", "/patients/"),
        ("patient", f"/patients/{patient.pk}/"),
        ("new patient", "/patients/new/"),
        ("consultation", f"/consultations/{consultation.pk}/"),
        ("plan", f"/consultations/{consultation.pk}/plan/"),
        ("sessions", "/sessions/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        found[name] = serious_violations(page)
    # The site form, as opened from the map.
    page.goto(f"{live_server.url}/consultations/{consultation.pk}/")
    page.get_by_role("link", name="Right cheek").click()
    page.locator("#site-form form").wait_for()
    found["site form"] = serious_violations(page)

    assert found == {name: [] for name in found}
