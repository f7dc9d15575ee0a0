"""A refused form in the real browser: the message says what was wrong, focus lands on the field
to correct (not on the form's first field); and no page asks for a file that is not there."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import make_consultation, make_patient
from treatments.models import Consultation, LesionSite, Patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FUTURE = "The consultation cannot be dated in the future."


def open_site_form(page, live_server, consultation):
    page.goto(f"{live_server.url}/consultations/{consultation.pk}/")
    page.get_by_role("link", name="Right cheek").click()
    form = page.locator("#site-form form")
    expect(form).to_be_visible()
    return form


def test_after_a_refused_form_focus_lands_on_the_field_to_correct(page, live_server, e2e_users):
    consultation = make_consultation(clinician=e2e_users["dermatologist"])
    log_in(page, live_server, "dr.e2e")

    # The site form (answered by htmx): the size is missing, Location comes first.
    form = open_site_form(page, live_server, consultation)
    form.get_by_label("Number of milia").fill("3")
    form.get_by_label("Months present").fill("2")
    form.get_by_role("button", name="Save site").click()
    size = form.get_by_label("Largest diameter (mm)")
    expect(size).to_be_focused()
    summary = form.locator("[data-error-summary]")
    expect(summary).to_contain_text("Largest diameter (mm): Enter the largest diameter in mm.")
    # The summary's link leads back to the field.
    form.get_by_label("Number of milia").focus()
    summary.get_by_role("link", name="Largest diameter (mm)").click()
    expect(size).to_be_focused()

    # The patient form (a whole page): the family name is missing, the record number is first.
    page.goto(f"{live_server.url}/patients/new/")
    page.get_by_label("Record number").fill("E2E-FOCUS")
    page.get_by_label("Given name").fill("Iris")
    page.get_by_label("Date of birth").fill("1985-03-02")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Family name")).to_be_focused()
    assert (LesionSite.objects.count(), Patient.objects.filter(given_name="Iris").count()) == (
        0,
        0,
    )


def test_letters_in_the_count_are_refused_as_not_a_number(page, live_server, e2e_users):
    consultation = make_consultation(clinician=e2e_users["dermatologist"])
    log_in(page, live_server, "dr.e2e")

    form = open_site_form(page, live_server, consultation)
    count = form.get_by_label("Number of milia")
    count.fill("abc")
    form.get_by_label("Largest diameter (mm)").fill("1")
    form.get_by_label("Months present").fill("2")
    form.get_by_role("button", name="Save site").click()

    expect(form.locator(".invalid-feedback")).to_have_text(
        "Enter the number of milia as a whole number, such as 4."
    )
    expect(count).to_have_value("abc")
    expect(count).to_be_focused()
    assert LesionSite.objects.count() == 0


def test_a_consultation_dated_in_the_future_is_refused_with_its_message(
    page, live_server, e2e_users
):
    patient = make_patient()
    log_in(page, live_server, "dr.e2e")

    page.goto(f"{live_server.url}/patients/{patient.pk}/consultations/new/")
    day = page.get_by_label("Date")
    day.fill("2031-01-01")
    page.get_by_role("button", name="Open consultation").click()

    expect(page.locator(".invalid-feedback")).to_have_text(FUTURE)
    expect(page.locator("[data-error-summary]")).to_contain_text(f"Date: {FUTURE}")
    expect(day).to_be_focused()
    assert Consultation.objects.count() == 0


def test_pages_ask_for_no_missing_file_not_even_a_favicon(page, live_server, e2e_users):
    consultation = make_consultation(clinician=e2e_users["dermatologist"])
    failed = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)

    log_in(page, live_server, "dr.e2e")
    for path in ("/", "/patients/", f"/consultations/{consultation.pk}/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    linked = page.locator('link[rel="icon"]').get_attribute("href")
    icons = [page.request.get(f"{live_server.url}{url}") for url in (linked, "/favicon.ico")]

    assert failed == []
    assert [(icon.status, icon.headers["content-type"]) for icon in icons] == [
        (200, "image/svg+xml"),
        (200, "image/x-icon"),
    ]
