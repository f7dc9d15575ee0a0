"""The walk of issue 4, in the real browser: chart, read the advice, plan, sign; staff read."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from treatments.models import Consultation, Session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def chart_site(page, region_name, *, count, largest_mm, months, tried=None, keyboard=False):
    region = page.get_by_role("link", name=re.compile(rf"^{region_name}"))
    if keyboard:
        region.focus()
        page.keyboard.press("Enter")
    else:
        region.click()
    form = page.locator("#site-form form")
    expect(form).to_be_visible()
    form.get_by_label("Number of milia").fill(str(count))
    form.get_by_label("Largest diameter (mm)").fill(str(largest_mm))
    form.get_by_label("Months present").fill(str(months))
    for treatment, outcome in (tried or {}).items():
        form.get_by_label(treatment).select_option(label=outcome)
    form.get_by_role("button", name="Save site").click()
    expect(page.locator("#site-form form")).to_have_count(0)


def site_advice(page, site_label):
    return page.locator(".site-matrix > li", has=page.get_by_role("heading", name=site_label))


def test_dermatologist_charts_plans_and_signs_then_staff_see_the_session(
    page, live_server, e2e_users, browser
):
    log_in(page, live_server, "dr.e2e")

    # Register a patient.
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Record number").fill("E2E-0001")
    page.get_by_label("Given name").fill("Iris")
    page.get_by_label("Family name").fill("Walker")
    page.get_by_label("Date of birth").fill("1985-03-02")
    page.get_by_label("Fitzpatrick skin type").select_option(label="Skin type II")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Iris Walker")).to_be_visible()

    # Open a consultation.
    page.get_by_role("link", name="Open a consultation").click()
    page.get_by_role("button", name="Open consultation").click()
    expect(page.get_by_role("heading", name=re.compile("Consultation of"))).to_be_visible()

    # A mistake first: no milia counted. The error names the field and keeps what was typed.
    page.get_by_role("link", name=re.compile("^Left eyelid")).click()
    form = page.locator("#site-form form")
    form.get_by_label("Number of milia").fill("0")
    form.get_by_label("Largest diameter (mm)").fill("1.5")
    form.get_by_role("button", name="Save site").click()
    expect(form.locator("#id_count_error")).to_have_text("Enter at least 1 milium.")
    expect(form.get_by_label("Largest diameter (mm)")).to_have_value("1.5")
    page.get_by_role("link", name="Cancel").click()

    # Left eyelid, four small milia: cryotherapy is contraindicated there.
    chart_site(page, "Left eyelid", count=4, largest_mm=1, months=2)
    eyelid = site_advice(page, "Left eyelid")
    expect(eyelid.get_by_text("Cryotherapy: contraindicated")).to_be_visible()
    expect(eyelid.get_by_text("Mechanical extraction: recommended")).to_be_visible()

    # Forehead, chosen from the keyboard: one large milium for three years that resisted
    # extraction. Cryotherapy is recommended there.
    chart_site(
        page,
        "Forehead",
        count=1,
        largest_mm=4,
        months=36,
        tried={"Mechanical extraction": "Tried: it did not help"},
        keyboard=True,
    )
    forehead = site_advice(page, "Forehead")
    expect(forehead.get_by_text("Cryotherapy: recommended")).to_be_visible()
    expect(eyelid.get_by_text("Cryotherapy: contraindicated")).to_be_visible()
    expect(page.get_by_text("Not for the left eyelid site.")).to_be_visible()

    # Plan: a retinoid for the eyelid instead of extraction needs a written reason.
    page.get_by_role("link", name="Plan treatment").click()
    extraction = page.locator("fieldset.plan-row", has_text="Mechanical extraction")
    retinoid = page.locator("fieldset.plan-row", has_text="Topical retinoid")
    extraction.get_by_label("Plan this treatment").uncheck()
    retinoid.get_by_label("Plan this treatment").check()
    retinoid.get_by_label("Left eyelid").check()
    page.get_by_role("button", name="Save plan").click()
    expect(
        retinoid.get_by_text(
            "A reason is required because the first option for the left eyelid site is "
            "mechanical extraction."
        )
    ).to_be_visible()
    retinoid.get_by_label("Reason for this choice").fill("Patient prefers not to have needles.")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("The plan was saved.")).to_be_visible()

    # Signing shows what will be signed first: the override with its reason, the sessions.
    page.get_by_role("link", name="Review and sign").click()
    expect(page.get_by_text("reason: “Patient prefers not to have needles.”")).to_be_visible()
    page.get_by_role("button", name="Sign consultation").click()
    expect(page.get_by_text("The consultation is signed.")).to_be_visible()
    consultation = Consultation.objects.get(patient__medical_record_number="E2E-0001")
    assert consultation.status == "signed"
    assert sorted(
        Session.objects.filter(planned_treatment__plan__consultation=consultation).values_list(
            "planned_treatment__treatment__code", flat=True
        )
    ) == ["cryotherapy"]  # the retinoid is used at home: a review, no session at the clinic

    # Staff: today's sessions on the home page; edit pages are refused.
    staff_context = browser.new_context()
    staff_page = staff_context.new_page()
    log_in(staff_page, live_server, "staff.e2e")
    today = staff_page.locator(
        "section", has=staff_page.get_by_role("heading", name="Today's sessions")
    )
    expect(today.get_by_role("row", name=re.compile("Iris Walker.*Cryotherapy"))).to_be_visible()
    for path in ["/patients/new/", f"/consultations/{consultation.pk}/plan/"]:
        response = staff_page.goto(f"{live_server.url}{path}")
        assert response.status == 403
        expect(staff_page.get_by_text("This page is not part of your role")).to_be_visible()
    staff_context.close()
