"""The patient search in the browser: typed as a phone or a plain keyboard types it, a name
spelt with accents and an apostrophe is found as the letters come in."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_typing_a_name_without_its_accents_or_with_a_phone_apostrophe_finds_it(
    page, live_server, e2e_users
):
    make_patient(given_name="Zoë", family_name="O'Brien", medical_record_number="E2E-1")
    make_patient(given_name="Łukasz", family_name="Nowak", medical_record_number="E2E-2")
    make_patient(given_name="Kwame", family_name="Mensah", medical_record_number="E2E-3")
    log_in(page, live_server, "dr.e2e")
    page.goto(f"{live_server.url}/patients/")
    results = page.locator("#patient-results tbody")
    search = page.get_by_label("Search by name or record number")

    search.press_sequentially("zoe o’brien", delay=20)
    expect(results.get_by_role("link")).to_have_text(["O'Brien, Zoë"])
    expect(page.locator("#patient-results")).to_contain_text("1 patient matching “zoe o’brien”")

    search.fill("")
    search.press_sequentially("LUKASZ", delay=20)
    expect(results.get_by_role("link")).to_have_text(["Nowak, Łukasz"])
