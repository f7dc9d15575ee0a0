"""Issue 13 in the real browser: a note typed just before signing is signed with it (the details
autosave and every other form agree on the version); a second window's stale save says so and
loses nothing typed; signing goes through its review page; an addendum follows the signature."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.e2e.test_accessibility import serious_violations
from tests.factories import make_consultation, make_patient, make_site
from treatments.models import Consultation, ConsultationAddendum, LesionSite

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STALE = "This consultation was changed in another window or by another clinician"


def draft_with_a_site(dermatologist):
    patient = make_patient(given_name="Iris", family_name="Walker")
    consultation = make_consultation(patient=patient, clinician=dermatologist)
    make_site(consultation, location="forehead", side="midline", count=2)
    return consultation


def test_typing_a_note_then_signing_through_the_review_signs_the_note(page, live_server, e2e_users):
    consultation = draft_with_a_site(e2e_users["dermatologist"])
    log_in(page, live_server, "dr.e2e")
    page.goto(f"{live_server.url}{consultation.get_absolute_url()}")
    status = page.locator("#details-status")
    notes = page.get_by_label("Notes")

    # Leaving the field saves it, and says so.
    notes.fill("Milia since the summer.")
    notes.press("Tab")
    expect(status).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    assert serious_violations(page) == []

    # A site form opened before the next save still saves after it: its version was updated.
    page.get_by_role("link", name="Edit", exact=True).click()
    site_form = page.locator("#site-form form")
    site_form.get_by_label("Number of milia").fill("3")
    notes.fill("Milia since the summer. Asks about scarring.")
    site_form.get_by_role("button", name="Save site").click()
    expect(page.locator("#site-form form")).to_have_count(0)
    expect(page.get_by_text(STALE)).to_have_count(0)
    assert LesionSite.objects.get().count == 3

    # Type a note and go straight to signing, without leaving the field first.
    notes.fill("Milia since the summer. Asks about scarring. Prefers no needles.")
    page.get_by_role("link", name="Review and sign").click()
    expect(page.get_by_role("heading", name="Review and sign", level=1)).to_be_visible()
    expect(page.get_by_text("Prefers no needles.")).to_be_visible()
    expect(page.get_by_text("3 milia, largest 1.0 mm")).to_be_visible()
    expect(page.get_by_text("No treatment is planned: signing books no session.")).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_role("button", name="Sign consultation").click()
    expect(page.get_by_text("The consultation is signed.")).to_be_visible()
    expect(page.get_by_text(STALE)).to_have_count(0)
    expect(page.locator(".signed-by")).to_contain_text("Signed by Eve Derm (Dermatologist), ")
    consultation.refresh_from_db()
    assert (consultation.status, consultation.notes, consultation.signed_by.username) == (
        "signed",
        "Milia since the summer. Asks about scarring. Prefers no needles.",
        "dr.e2e",
    )


def test_a_second_window_that_saved_first_makes_this_one_say_so_and_lose_nothing_typed(
    page, live_server, e2e_users, browser
):
    consultation = draft_with_a_site(e2e_users["dermatologist"])
    url = f"{live_server.url}{consultation.get_absolute_url()}"
    log_in(page, live_server, "dr.e2e")
    page.goto(url)
    # This window has a site open for editing too.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.locator("#site-form form")).to_be_visible()

    other_context = browser.new_context()
    other = other_context.new_page()
    log_in(other, live_server, "dr.e2e")
    other.goto(url)
    other.get_by_label("Notes").fill("Saved first, in the other window.")
    other.get_by_label("Notes").press("Tab")
    expect(other.locator("#details-status")).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    other_context.close()

    notes = page.get_by_label("Notes")
    notes.fill("Typed here, after the other window saved.")
    notes.press("Tab")
    status = page.locator("#details-status")
    expect(status).to_contain_text(STALE)
    expect(status.get_by_role("link", name="Reload the consultation")).to_be_visible()
    expect(notes).to_have_value("Typed here, after the other window saved.")

    site_form = page.locator("#site-form form")
    site_form.get_by_label("Number of milia").fill("7")
    site_form.get_by_role("button", name="Save site").click()
    expect(site_form.get_by_role("alert")).to_contain_text(STALE)
    expect(site_form.get_by_label("Number of milia")).to_have_value("7")

    consultation.refresh_from_db()
    assert (consultation.notes, LesionSite.objects.get().count) == (
        "Saved first, in the other window.",
        2,
    )


def test_an_addendum_is_added_after_signing_with_its_author_and_time(page, live_server, e2e_users):
    consultation = draft_with_a_site(e2e_users["dermatologist"])
    log_in(page, live_server, "dr.e2e")
    page.goto(f"{live_server.url}{consultation.get_absolute_url()}")
    page.get_by_role("link", name="Review and sign").click()
    page.get_by_role("button", name="Sign consultation").click()
    expect(page.get_by_text("The consultation is signed.")).to_be_visible()

    addenda = page.locator("#addenda")
    expect(addenda).to_contain_text("No addendum.")
    addenda.get_by_role("button", name="Add addendum").click()
    expect(page.get_by_text("Write the addendum before adding it.")).to_be_visible()

    page.get_by_label("Addendum").fill("Histology: milia confirmed. No change to the plan.")
    page.get_by_role("button", name="Add addendum").click()
    expect(page.get_by_text("The addendum was added to the signed record.")).to_be_visible()
    entry = page.locator("#addenda li")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(
        re.compile(r"Addendum 1 · Eve Derm \(Dermatologist\), \d+ \w{3} \d{4}, \d\d:\d\d")
    )
    expect(entry).to_contain_text("Histology: milia confirmed. No change to the plan.")
    assert serious_violations(page) == []

    # Printed, the record keeps its signature and addenda, without the addendum form.
    page.emulate_media(media="print")
    expect(page.locator(".signed-by")).to_contain_text("Signed by Eve Derm (Dermatologist), ")
    expect(entry).to_be_visible()
    expect(page.get_by_role("button", name="Add addendum")).to_be_hidden()
    page.emulate_media(media="screen")
    assert list(ConsultationAddendum.objects.values_list("author__username", "text")) == [
        ("dr.e2e", "Histology: milia confirmed. No change to the plan.")
    ]
    assert Consultation.objects.get().status == "signed"
