"""Issue 10 in the real browser: a mixed case of eyelids, forehead and cheeks says, site by site,
what the 2026.2 rules allow there, and cryotherapy at an eyelid cannot be planned."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.e2e.test_clinician_walk import chart_site, site_advice
from tests.factories import make_consultation, make_patient
from treatments.models import Plan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_mixed_case_says_what_holds_at_each_site_and_refuses_cryotherapy_at_an_eyelid(
    page, live_server, e2e_users
):
    consultation = make_consultation(
        patient=make_patient(given_name="Nora", family_name="Quist"),
        clinician=e2e_users["dermatologist"],
        date=timezone.localdate(),
    )
    log_in(page, live_server, "dr.e2e")
    page.goto(f"{live_server.url}/consultations/{consultation.pk}/")

    for region in ("Left eyelid", "Right eyelid", "Forehead", "Left cheek", "Right cheek"):
        chart_site(page, region, count=3, largest_mm=1, months=4)

    for eyelid in ("Left eyelid", "Right eyelid"):
        advice = site_advice(page, eyelid)
        expect(advice.get_by_text("Mechanical extraction: recommended")).to_be_visible()
        expect(advice.get_by_text("Chemical peel: consider")).to_be_visible()
        expect(advice.get_by_text("Topical retinoid: consider")).to_be_visible()
        expect(advice.get_by_text("Cryotherapy: contraindicated")).to_be_visible()
    for face in ("Forehead", "Left cheek", "Right cheek"):
        advice = site_advice(page, face)
        expect(advice.get_by_text("Chemical peel: recommended")).to_be_visible()
        expect(advice.get_by_text("Cryotherapy: not indicated")).to_be_visible()

    # The case-level cryotherapy option says where it is ruled out, with the rule's link.
    cryotherapy = page.locator(".options-list > li", has_text="Cryotherapy")
    expect(cryotherapy.locator(".option-where")).to_contain_text(
        "Not indicated at forehead and cheek (both sides); contraindicated at eyelid (both sides)."
    )
    peel = page.locator(".options-list > li", has_text="Chemical peel")
    expect(peel.locator(".option-where")).to_contain_text(
        "Recommended for forehead and cheek (both sides); consider for eyelid (both sides)."
    )
    expect(peel.get_by_role("link", name="PEEL-EYE-GUARD")).to_have_attribute(
        "href", "/rules/#rule-PEEL-EYE-GUARD"
    )

    # Try to plan cryotherapy at the left eyelid, with a reason and the acceptance ticked.
    page.get_by_role("link", name="Plan treatment").click()
    row = page.locator("fieldset.plan-row", has_text="Cryotherapy")
    row.get_by_label("Plan this treatment").check()
    row.get_by_label("Left eyelid").check()
    row.get_by_label("Reason for this choice").fill("The patient asks for freezing, not a needle.")
    row.get_by_label("I accept this contraindication").check()
    page.get_by_role("button", name="Save plan").click()

    expect(
        row.get_by_text(
            re.compile(
                r"^Cryotherapy cannot be planned here: "
                r"it can never be planned at the left eyelid site"
            )
        )
    ).to_be_visible()
    assert Plan.objects.filter(consultation=consultation).count() == 0

    # The rules reference opens at the rule's row.
    page.goto(f"{live_server.url}/rules/#rule-CRYO-EYE")
    expect(page.locator("#rule-CRYO-EYE")).to_contain_text("Eye area: never freeze milia here")
