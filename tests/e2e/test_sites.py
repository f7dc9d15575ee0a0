"""Issue 13 in the real browser: a site overlapping another is refused with a link to edit the one
already charted; a site is edited and removed; a mixed case says why, site by site."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.e2e.test_clinician_walk import chart_site, site_advice
from tests.factories import make_consultation, make_patient, make_site

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _open_consultation(page, live_server, e2e_users, *sites):
    consultation = make_consultation(
        patient=make_patient(given_name="Lena", family_name="Novak"),
        clinician=e2e_users["dermatologist"],
        date=timezone.localdate(),
    )
    for fields in sites:
        make_site(consultation, **fields)
    log_in(page, live_server, "dr.e2e")
    page.goto(f"{live_server.url}/consultations/{consultation.pk}/")
    return consultation


def _sites_table(page):
    return page.locator("table.sites-table tbody")


def test_overlapping_site_is_refused_with_the_message_and_a_link_to_edit_the_site(
    page, live_server, e2e_users
):
    consultation = _open_consultation(page, live_server, e2e_users)
    chart_site(page, "Left eyelid", count=3, largest_mm=1, months=4)

    # Now both eyelids in one site, beside the left eyelid already charted.
    page.get_by_role("link", name=re.compile("^Right eyelid")).click()
    form = page.locator("#site-form form")
    form.get_by_label("Side").select_option(label="Both sides")
    form.get_by_label("Number of milia").fill("5")
    form.get_by_label("Largest diameter (mm)").fill("1")
    form.get_by_label("Months present").fill("4")
    form.get_by_role("button", name="Save site").click()

    expect(form.locator("#id_side")).to_have_class(re.compile("is-invalid"))
    expect(form.get_by_text(re.compile("^The eyelid \\(both sides\\) overlaps"))).to_have_text(
        "The eyelid (both sides) overlaps the left eyelid, already charted in this "
        "consultation: edit that site instead, so no milia are counted twice."
    )
    assert list(consultation.sites.values_list("side", flat=True)) == ["left"]

    # The link opens the site already charted; it becomes both sides.
    form.get_by_role("link", name="Edit the left eyelid site").click()
    expect(page.get_by_role("heading", name="Edit the left eyelid site")).to_be_visible()
    form = page.locator("#site-form form")
    form.get_by_label("Side").select_option(label="Both sides")
    form.get_by_label("Number of milia").fill("5")
    form.get_by_role("button", name="Save site").click()
    expect(page.locator("#site-form form")).to_have_count(0)

    expect(_sites_table(page).locator("tr")).to_have_count(1)
    expect(_sites_table(page)).to_contain_text("Eyelid (both sides)")
    # Its marker is drawn on both eyelids.
    for eyelid in ("Left eyelid", "Right eyelid"):
        expect(page.get_by_role("link", name=f"{eyelid} (eye area), charted")).to_be_visible()
    assert list(consultation.sites.values_list("side", "count")) == [("bilateral", 5)]


def test_editing_a_site_changes_it_and_the_advice(page, live_server, e2e_users):
    consultation = _open_consultation(
        page, live_server, e2e_users, {"location": "forehead", "side": "midline", "count": 3}
    )
    extraction = page.locator(".options-list > li", has_text="Mechanical extraction")
    expect(extraction.locator(".status-badge")).to_have_text("✔ Recommended")

    _sites_table(page).get_by_role("link", name="Edit").click()
    form = page.locator("#site-form form")
    expect(page.get_by_role("heading", name="Edit the forehead site")).to_be_visible()
    expect(form.get_by_label("Number of milia")).to_have_value("3")
    form.get_by_label("Number of milia").fill("7")
    form.get_by_label("Mechanical extraction").select_option(label="Tried: it did not help")
    form.get_by_role("button", name="Save site").click()
    expect(page.locator("#site-form form")).to_have_count(0)

    row = _sites_table(page).locator("tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text("7")
    expect(row).to_contain_text("Tried: mechanical extraction (did not work)")
    expect(extraction.locator(".status-badge")).to_have_text("– Not indicated")
    expect(extraction.get_by_role("link", name="TRIED-FAILED")).to_be_visible()
    assert list(consultation.sites.values_list("count", flat=True)) == [7]


def test_removing_a_site_takes_it_off_the_table_the_map_and_the_advice(
    page, live_server, e2e_users
):
    consultation = _open_consultation(
        page,
        live_server,
        e2e_users,
        {"location": "eyelid", "side": "left", "count": 2},
        {"location": "chin", "side": "midline", "count": 2},
    )
    expect(page.get_by_role("link", name="Left eyelid (eye area), charted")).to_be_visible()
    expect(site_advice(page, "Left eyelid")).to_have_count(1)

    page.once("dialog", lambda dialog: dialog.accept())
    _sites_table(page).get_by_role("button", name="Remove left eyelid").click()

    expect(_sites_table(page).locator("tr")).to_have_count(1)
    expect(_sites_table(page)).to_contain_text("Chin")
    expect(page.get_by_role("link", name="Left eyelid (eye area)", exact=True)).to_be_visible()
    expect(site_advice(page, "Left eyelid")).to_have_count(0)
    assert list(consultation.sites.values_list("location", flat=True)) == ["chin"]


def test_mixed_case_shows_where_each_option_holds_and_each_sites_reasons(
    page, live_server, e2e_users
):
    # The demo patient DEMO-0006: eyelids, a forehead milium extraction did not clear, cheeks.
    _open_consultation(
        page,
        live_server,
        e2e_users,
        {"location": "eyelid", "side": "left", "count": 3},
        {"location": "eyelid", "side": "right", "count": 2},
        {
            "location": "forehead",
            "side": "midline",
            "count": 4,
            "largest_mm": Decimal("3.5"),
            "months_present": 14,
            "tried": [("extraction", False)],
        },
        {"location": "cheek", "side": "bilateral", "count": 6},
    )

    cryotherapy = page.locator(".options-list > li", has_text="Cryotherapy")
    expect(cryotherapy.locator(".status-badge").first).to_have_text("✔ Recommended at some sites")
    where = cryotherapy.locator(".option-where")
    expect(where).to_contain_text(
        "By site: Recommended for forehead; not indicated at cheek (both sides); "
        "contraindicated at eyelid (both sides)."
    )
    expect(where.get_by_text("Contraindicated at eyelid (both sides):")).to_be_visible()
    expect(where.get_by_role("link", name="CRYO-EYE")).to_be_visible()
    extraction = page.locator(".options-list > li", has_text="Mechanical extraction")
    expect(
        extraction.locator(".option-where").get_by_role("link", name="TRIED-FAILED")
    ).to_be_visible()

    # Each site's ranked options open with their reasons: cryotherapy at the left eyelid.
    left_eyelid = site_advice(page, "Left eyelid")
    why = left_eyelid.locator("details.site-why")
    expect(why.get_by_role("link", name="CRYO-EYE")).to_be_hidden()
    why.locator("summary").click()
    cryo_here = why.locator("li.site-why__option", has_text="Cryotherapy")
    expect(cryo_here.locator(".status-badge")).to_have_text("✖ Contraindicated")
    expect(cryo_here).to_contain_text("CRYO-EYE Eye area: never freeze milia here")
    expect(why.locator("li.site-why__option").first).to_contain_text("1. Mechanical extraction")
