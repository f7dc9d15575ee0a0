"""Printing in the real browser: staff open Today, print a sheet (A4 and Letter, one page each),
and download the whole day's sheets as one PDF in one click."""

from io import BytesIO

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import log_in
from tests.factories import make_course, make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

THREE_SITES = (("cheek", "bilateral"), ("nose", "midline"), ("forehead", "midline"))


def pdf_pages(content: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(content)).pages]


def todays_patients(dermatologist):
    """Three sessions today, the longest sheet (the retinoid's) among them."""
    for (given, family), code in [
        (("Iris", "Walker"), "topical_retinoid"),
        (("Zoë", "Łukasiewicz"), "extraction"),
        (("Ελένη", "Παπαδοπούλου"), "chemical_peel"),
    ]:
        patient = make_patient(given_name=given, family_name=family)
        make_course(dermatologist, patient=patient, code=code, sessions=2, interval_weeks=3,
                     sites=THREE_SITES)  # fmt: skip


def test_staff_print_a_sheet_on_a4_and_letter_and_the_whole_day_in_one_click(
    page, live_server, e2e_users
):
    todays_patients(e2e_users["dermatologist"])
    console = []
    page.on("console", lambda message: console.append(message.text))
    # Count the print dialogs the Print button opens, instead of opening one.
    page.add_init_script("window.print = () => { window.printed = (window.printed || 0) + 1; };")
    log_in(page, live_server, "staff.e2e")

    # Today lists the three sessions.
    page.get_by_role("link", name="Today", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(page.locator("tbody tr")).to_have_count(3)
    todays_order = page.locator("tbody tr td:first-child").all_inner_texts()

    # One patient's sheet: the print view, printed to PDF on A4 and on Letter.
    page.get_by_role("link", name="Print sheet for Iris Walker").click()
    expect(page.get_by_role("heading", name="Vitamin A cream (topical retinoid)")).to_be_visible()
    print_button = page.get_by_role("button", name="Print")
    expect(print_button).to_be_visible()
    print_button.click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()
    sizes = {paper: pdf_pages(page.pdf(format=paper)) for paper in ("A4", "Letter")}
    assert {paper: len(pages) for paper, pages in sizes.items()} == {"A4": 1, "Letter": 1}
    assert ["Iris Walker" in pages[0] for pages in sizes.values()] == [True, True]
    page.emulate_media(media="screen")

    # The whole day: one click, a progress message, one PDF with a sheet per session.
    page.get_by_role("link", name="Back to Today").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Print all (PDF)").click()
    download = download_info.value
    pages = pdf_pages(download.path().read_bytes())
    expect(page.get_by_role("status")).to_have_text("Your PDF of 3 sheets is ready.")
    assert download.suggested_filename.startswith("aftercare-")
    # One sheet per session, in the order of the Today page (by family name, as the database
    # collates them); each sheet's footer names its patient.
    assert [text.split(" · ")[-1].split(",")[0] for text in pages] == todays_order
    assert sorted(todays_order) == ["Iris Walker", "Zoë Łukasiewicz", "Ελένη Παπαδοπούλου"]
    assert [text for text in console if "Content Security Policy" in text] == []


def test_today_and_the_print_views_have_no_serious_accessibility_violations(
    page, live_server, e2e_users
):
    from tests.e2e.test_accessibility import serious_violations

    todays_patients(e2e_users["dermatologist"])
    log_in(page, live_server, "staff.e2e")
    found = {}
    for name, path in [
        ("today", "/today/"),
        ("print all", "/today/?print=1&handout=1"),
        ("handout", "/handouts/why-not-at-home/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        found[name] = serious_violations(page)

    assert found == {name: [] for name in found}
