"""Issue 16, clinical photos, in the real browser: a photo uploaded from a file (a phone's
camera offers itself through the same file input) shows beside the earlier visit's photo of the
same site, in frames of the same size; a file that is not an image is refused with its message."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import (
    make_consultation,
    make_patient,
    make_photo,
    make_site,
    photo_bytes,
    sign,
)
from treatments.models import ClinicalPhoto

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def later_visit(e2e_users):
    """A patient whose left cheek was photographed at a signed visit, seen again today."""
    dermatologist = e2e_users["dermatologist"]
    patient = make_patient(given_name="Lena", family_name="Novak")
    today = timezone.localdate()
    first = make_consultation(patient=patient, clinician=dermatologist, date=today - timedelta(90))
    make_photo(
        make_site(first, location="cheek", side="left"),
        by=dermatologist,
        data=photo_bytes((800, 600), color="navy"),
    )
    sign(first)
    later = make_consultation(patient=patient, clinician=dermatologist, date=today)
    make_site(later, location="cheek", side="left")
    return later


def test_a_photo_uploaded_from_a_file_shows_in_the_before_and_after_view(
    page, live_server, later_visit, tmp_path
):
    fixture = tmp_path / "IMG_0042.jpg"
    fixture.write_bytes(photo_bytes((600, 800), color="salmon"))  # portrait, the first landscape
    log_in(page, live_server, "dr.e2e")
    page.goto(f"{live_server.url}/consultations/{later_visit.pk}/")

    page.get_by_role("link", name="Photos of the left cheek").click()
    expect(page.get_by_role("heading", name="Photos: Left cheek")).to_be_visible()
    expect(page.locator(".photo-frame img")).to_have_count(1)
    photo_input = page.locator("input[type=file][name=image]")
    assert photo_input.get_attribute("accept") == "image/*"
    photo_input.set_input_files(str(fixture))
    page.get_by_label("Clinical record only").check()
    page.get_by_role("button", name="Upload photo").click()

    expect(page.get_by_text("Photo added.")).to_be_visible()
    frames = page.locator(".photo-frame")
    expect(frames).to_have_count(2)
    # Oldest first: the earlier visit, then today's (outlined as this consultation's).
    expect(page.locator(".photo-item figcaption").nth(1)).to_contain_text("this consultation")
    images = page.locator(".photo-frame img")
    for index in range(2):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0, "the photo did not load"
    # The same scale: both photos in frames of one size, whatever their own shape.
    boxes = [frames.nth(index).bounding_box() for index in range(2)]
    assert round(boxes[0]["width"]) == round(boxes[1]["width"])
    assert round(boxes[0]["height"]) == round(boxes[1]["height"])
    assert ClinicalPhoto.objects.filter(site__consultation=later_visit).count() == 1


def test_a_file_that_is_not_an_image_is_refused_in_the_browser(
    page, live_server, later_visit, tmp_path
):
    fixture = tmp_path / "notes.jpg"
    fixture.write_text("<html><body>not a photo</body></html>")
    log_in(page, live_server, "dr.e2e")
    site = later_visit.sites.get()
    page.goto(f"{live_server.url}/sites/{site.pk}/photos/")

    page.locator("input[type=file][name=image]").set_input_files(str(fixture))
    page.get_by_label("Clinical record and teaching").check()
    page.get_by_role("button", name="Upload photo").click()

    expect(page.locator(".error-summary")).to_contain_text(re.compile("web page or script code"))
    assert ClinicalPhoto.objects.filter(site=site).count() == 0


def test_a_photo_uploaded_by_mistake_is_removed_in_the_browser(
    page, live_server, later_visit, tmp_path
):
    fixture = tmp_path / "IMG_0043.jpg"
    fixture.write_bytes(photo_bytes((600, 800), color="salmon"))
    log_in(page, live_server, "dr.e2e")
    site = later_visit.sites.get()
    page.goto(f"{live_server.url}/sites/{site.pk}/photos/")
    # The earlier, signed visit's photo is final: nothing offers to remove it.
    expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)

    page.locator("input[type=file][name=image]").set_input_files(str(fixture))
    page.get_by_label("Clinical record only").check()
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_text("Photo added.")).to_be_visible()
    expect(page.locator(".photo-frame img")).to_have_count(2)
    photo = ClinicalPhoto.objects.get(site=site)
    taken = timezone.localtime(photo.taken_at).strftime("%-d %b %Y %H:%M")

    page.get_by_role("button", name=f"Remove photo taken {taken}").click()

    expect(page.get_by_text("Photo removed.")).to_be_visible()
    expect(page.locator(".photo-frame img")).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
    assert not ClinicalPhoto.objects.filter(site=site).exists()
