"""Issue 16 in the real browser: a dermatologist follows one patient over three visits (a
failed extraction, then cleared) and sees on the patient page what became of the site."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.e2e.test_accessibility import serious_violations
from tests.factories import (
    make_consultation,
    make_patient,
    make_photo,
    make_planned,
    make_site,
    photo_bytes,
    sign,
)
from treatments.models import ClinicalPhoto, Consultation, Session, SiteOutcome

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def first_visit(dermatologist, *, photographed=False):
    """Sixty days ago: three milia at the left cheek (photographed, if asked), an extraction
    planned there and done."""
    on = timezone.localdate() - timedelta(days=60)
    patient = make_patient(given_name="Nora", family_name="Quint")
    consultation = make_consultation(patient=patient, clinician=dermatologist, date=on)
    site = make_site(consultation, location="cheek", side="left", count=3, months_present=2)
    if photographed:
        make_photo(site, by=dermatologist, data=photo_bytes((800, 600), color="navy"))
    planned = make_planned(consultation, code="extraction", sites=[site], starts_on=on)
    sign(consultation)
    Session.objects.filter(planned_treatment=planned).update(
        done_at=timezone.now() - timedelta(days=60), done_by=dermatologist
    )
    return consultation


def sign_through_the_review(page):
    page.get_by_role("link", name="Review and sign").click()
    page.get_by_role("button", name="Sign consultation").click()
    expect(page.get_by_text("The consultation is signed.")).to_be_visible()


def test_a_follow_up_records_a_failed_extraction_then_the_patient_page_shows_the_outcomes(
    page, live_server, e2e_users
):
    earlier = first_visit(e2e_users["dermatologist"])
    log_in(page, live_server, "dr.e2e")
    page.goto(f"{live_server.url}{earlier.get_absolute_url()}")

    # Second visit: the site is carried, its count typed again beside the last one.
    page.get_by_role("button", name="Start follow-up").click()
    expect(page.get_by_role("heading", name="Follow-up of the consultation of")).to_be_visible()
    page.get_by_role("link", name="Record outcome for the Left cheek").click()
    expect(page.get_by_text("Last visit: 3.")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Unchanged").check()
    page.get_by_label("Number of milia").fill("3")
    page.get_by_label("Largest diameter (mm)").fill("1.0")
    page.get_by_label("Months present").fill("4")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The left cheek is recorded.")).to_be_visible()
    # The failed extraction is what the rules see: the guide's next step, the CO2 laser.
    expect(page.get_by_text("Extraction did not work here").first).to_be_visible()
    second = Consultation.objects.get(follows=earlier)
    site = second.sites.get()
    assert [(t.treatment, t.worked) for t in site.tried.all()] == [("extraction", False)]
    sign_through_the_review(page)

    # Third visit: the site cleared; nothing is left to chart, and it can still be signed.
    page.get_by_role("button", name="Start follow-up").click()
    page.get_by_role("link", name="Record outcome for the Left cheek").click()
    page.get_by_label("Cleared").check()
    page.get_by_role("button", name="Save").click()
    sign_through_the_review(page)
    assert SiteOutcome.objects.filter(consultation__follows=second).get().outcome == "cleared"

    # The patient page: three visits, the count per visit, and the outcomes in the timeline.
    page.get_by_role("link", name="Nora Quint").first.click()
    outcomes = page.locator(".outcomes")
    expect(outcomes.locator("svg")).to_be_visible()
    outcomes.get_by_text("The counts as a table").click()
    expect(outcomes.get_by_role("row", name="Left cheek")).to_have_text("Left cheek330")
    expect(
        outcomes.get_by_text("Left cheek: unchanged after mechanical extraction")
    ).to_be_visible()
    expect(outcomes.get_by_text("Left cheek: cleared")).to_be_visible()
    assert serious_violations(page) == []


def test_a_follow_up_records_an_outcome_and_a_photo_that_shows_beside_the_first_visits(
    page, live_server, e2e_users, tmp_path
):
    """The issue's walk in one: start a follow-up, record the outcome, upload a photo from a
    file and see it in the before/after view beside the photo of the first visit."""
    earlier = first_visit(e2e_users["dermatologist"], photographed=True)
    fixture = tmp_path / "IMG_0043.jpg"
    fixture.write_bytes(photo_bytes((800, 600), color="salmon"))
    log_in(page, live_server, "dr.e2e")
    page.goto(f"{live_server.url}{earlier.get_absolute_url()}")

    page.get_by_role("button", name="Start follow-up").click()
    page.get_by_role("link", name="Record outcome for the Left cheek").click()
    page.get_by_label("Improved").check()
    page.get_by_label("Number of milia").fill("1")
    page.get_by_label("Largest diameter (mm)").fill("1.0")
    page.get_by_label("Months present").fill("4")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The left cheek is recorded.")).to_be_visible()

    page.get_by_role("link", name="Photos of the left cheek").click()
    page.locator("input[type=file][name=image]").set_input_files(str(fixture))
    page.get_by_label("Clinical record only").check()
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_text("Photo added.")).to_be_visible()
    # Before and after: the first visit's photo, then today's, in frames of one size.
    frames = page.locator(".photo-frame")
    expect(frames).to_have_count(2)
    expect(page.locator(".photo-item figcaption").nth(1)).to_contain_text("this consultation")
    first, second = (frames.nth(index).bounding_box() for index in range(2))
    assert (first["width"], first["height"]) == (second["width"], second["height"])
    follow_up = Consultation.objects.get(follows=earlier)
    assert ClinicalPhoto.objects.filter(site__consultation=follow_up).count() == 1
