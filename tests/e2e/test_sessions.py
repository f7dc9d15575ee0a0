"""Recording sessions in the real browser (issue 13): a confirmation before marking done, a
reason when early or out of order, undo the same day; a retinoid plan shows a review date."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.e2e.test_accessibility import serious_violations
from tests.factories import make_consultation, make_course, make_patient, make_site
from treatments.models import PlannedTreatment, Session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_confirm_a_session_done_then_undo_it(page, live_server, e2e_users):
    patient = make_patient(given_name="Ana", family_name="Lima")
    planned = make_course(e2e_users["dermatologist"], patient=patient)
    session = planned.treatment_sessions.get()
    log_in(page, live_server, "staff.e2e")

    page.get_by_role("link", name="Today", exact=True).click()
    page.get_by_role("link", name="Mark done: Ana Lima").click()
    # A confirmation first: nothing is recorded until it is confirmed.
    expect(page.get_by_role("heading", name="Confirm the session took place")).to_be_visible()
    assert Session.objects.get(pk=session.pk).is_done is False
    page.get_by_role("button", name="Confirm: session 1 done").click()

    expect(page.get_by_text("Session 1 was recorded as done.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Ana Lima"))
    expect(row.get_by_text("Done", exact=True)).to_be_visible()
    expect(row).to_contain_text("by Sol Nurse")
    assert Session.objects.get(pk=session.pk).is_done is True

    row.get_by_role("button", name="Undo: Ana Lima").click()
    expect(page.get_by_text("Session 1 is no longer marked done.")).to_be_visible()
    expect(page.get_by_role("link", name="Mark done: Ana Lima")).to_be_visible()
    assert Session.objects.get(pk=session.pk).is_done is False


def test_marking_a_later_session_first_asks_for_a_reason(page, live_server, e2e_users):
    patient = make_patient(given_name="Ben", family_name="Okoro")
    planned = make_course(
        e2e_users["dermatologist"], patient=patient, code="chemical_peel", sessions=4,
        interval_weeks=3,
    )  # fmt: skip
    log_in(page, live_server, "staff.e2e")

    page.goto(f"{live_server.url}/sessions/")
    page.get_by_role("link", name="Mark session 3 done: Ben Okoro").click()
    expect(page.get_by_text("Sessions 1 and 2 of this course are not done yet.")).to_be_visible()
    page.get_by_role("button", name="Confirm: session 3 done").click()
    expect(page.get_by_text(re.compile("Say why in “Reason for marking it done”"))).to_be_visible()
    assert planned.treatment_sessions.get(number=3).is_done is False
    assert serious_violations(page) == []

    page.get_by_label("Reason for marking it done").fill("The whole face was treated today.")
    page.get_by_role("button", name="Confirm: session 3 done").click()

    expect(page.get_by_text("Session 3 was recorded as done.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Ben Okoro")).nth(2)
    expect(row).to_contain_text("reason: The whole face was treated today.")
    expect(row.get_by_role("button", name=re.compile("Undo"))).to_be_visible()


def test_a_retinoid_plan_shows_a_review_date_not_sessions(page, live_server, e2e_users):
    consultation = make_consultation(clinician=e2e_users["dermatologist"], recurrent=True)
    make_site(consultation, location="cheek", side="left", count=3)
    log_in(page, live_server, "dr.e2e")

    page.goto(f"{live_server.url}/consultations/{consultation.pk}/plan/")
    retinoid = page.locator("fieldset.plan-row", has_text="Topical retinoid")
    expect(retinoid.get_by_text("Used at home: no sessions at the clinic.")).to_be_visible()
    expect(retinoid.get_by_label("Sessions")).to_have_count(0)
    retinoid.get_by_label("Plan this treatment").check()
    retinoid.get_by_label("Left cheek").check()
    retinoid.get_by_label("Starts on").fill("2026-11-02")
    retinoid.get_by_label("Reason for this choice").fill("Prevention alongside extraction.")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("The plan was saved.")).to_be_visible()

    plan = page.locator("section", has=page.get_by_role("heading", name="Plan", exact=True))
    expect(plan).to_contain_text("Topical retinoid: at home, no sessions at the clinic")
    expect(plan).to_contain_text("review on Mon 25 Jan 2027")
    # Signing goes through its review page (issue 13).
    page.get_by_role("link", name="Review and sign").click()
    page.get_by_role("button", name="Sign consultation").click()
    expect(page.get_by_text("The consultation is signed.")).to_be_visible()
    retinoid_plan = PlannedTreatment.objects.get(treatment__code="topical_retinoid")
    assert (retinoid_plan.sessions, retinoid_plan.treatment_sessions.count()) == (None, 0)
