"""Issue 13: a consultation charts each piece of skin once. A site that overlaps another of the
same location (both sides beside one side, or the same side twice) is refused by the rule of
the vocabulary, in the service, the form and the admin alike."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.factories import make_consultation, make_site, make_user
from tests.test_user_admin import admin_form_data
from treatments.models import Consultation, LesionSite
from treatments.rules import site_overlap_text, sites_overlap
from treatments.services import site_save

HTMX = {"HTTP_HX_REQUEST": "true"}
SITE = {"count": 3, "largest_mm": Decimal("1.0"), "depth": "superficial", "months_present": 2}


# --- The rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "other", "overlap"),
    [
        (("eyelid", "left"), ("eyelid", "left"), True),
        (("eyelid", "bilateral"), ("eyelid", "left"), True),
        (("eyelid", "right"), ("eyelid", "bilateral"), True),
        (("eyelid", "bilateral"), ("eyelid", "bilateral"), True),
        (("nose", "midline"), ("nose", "midline"), True),
        (("eyelid", "left"), ("eyelid", "right"), False),
        (("nose", "midline"), ("nose", "left"), False),
        (("nose", "midline"), ("nose", "bilateral"), False),
        (("eyelid", "bilateral"), ("periorbital", "bilateral"), False),
        (("eyelid", "left"), ("cheek", "left"), False),
    ],
)
def test_sites_overlap_on_one_location_and_a_shared_side(site, other, overlap):
    assert sites_overlap(site, other) is overlap
    assert sites_overlap(other, site) is overlap


def test_site_overlap_text_for_the_same_site():
    assert site_overlap_text(("eyelid", "left"), ("eyelid", "left")) == (
        "The left eyelid is already charted in this consultation: edit that site instead."
    )


def test_site_overlap_text_for_both_sides_beside_one_side():
    assert site_overlap_text(("eyelid", "bilateral"), ("eyelid", "left")) == (
        "The eyelid (both sides) overlaps the left eyelid, already charted in this "
        "consultation: edit that site instead, so no milia are counted twice."
    )


# --- The service -------------------------------------------------------------------------------


def test_site_save_refuses_both_sides_beside_one_side_and_saves_nothing(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left")

    with pytest.raises(ValidationError) as refused:
        site_save(
            consultation=consultation,
            version=1,
            tried=[("extraction", False)],
            location="eyelid",
            side="bilateral",
            **SITE,
        )

    assert refused.value.message_dict == {
        "side": [
            "The eyelid (both sides) overlaps the left eyelid, already charted in this "
            "consultation: edit that site instead, so no milia are counted twice."
        ]
    }
    assert list(consultation.sites.values_list("location", "side")) == [("eyelid", "left")]
    assert Consultation.objects.get().version == 1


def test_site_save_refuses_one_side_beside_both_sides(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="cheek", side="bilateral")

    with pytest.raises(ValidationError) as refused:
        site_save(consultation=consultation, version=1, location="cheek", side="right", **SITE)

    assert [error.code for error in refused.value.error_dict["side"]] == ["overlapping_site"]
    assert consultation.sites.count() == 1


def test_site_save_accepts_the_other_side_and_a_change_of_the_site_itself(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    left = make_site(consultation, location="eyelid", side="left")

    right = site_save(consultation=consultation, version=1, location="eyelid", side="right", **SITE)
    site_save(
        consultation=consultation,
        version=2,
        site=left,
        location="eyelid",
        side="left",
        **(SITE | {"count": 9}),
    )

    assert list(consultation.sites.values_list("pk", "side", "count")) == [
        (left.pk, "left", 9),
        (right.pk, "right", 3),
    ]


def test_site_save_refuses_changing_a_site_onto_both_sides_beside_another(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    left = make_site(consultation, location="eyelid", side="left")
    make_site(consultation, location="eyelid", side="right")

    with pytest.raises(ValidationError):
        site_save(
            consultation=consultation,
            version=1,
            site=left,
            location="eyelid",
            side="bilateral",
            **SITE,
        )

    assert list(consultation.sites.values_list("side", flat=True)) == ["left", "right"]


# --- The form ----------------------------------------------------------------------------------


def site_post(**overrides):
    data = {
        "location": "eyelid",
        "side": "bilateral",
        "count": "4",
        "largest_mm": "1.0",
        "depth": "superficial",
        "months_present": "3",
        "version": "1",
    }
    return data | overrides


def test_site_form_refuses_an_overlap_under_the_side_with_a_link_to_edit_the_site(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)
    existing = make_site(consultation, location="eyelid", side="right")

    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/", site_post(), **HTMX
    )

    assert response.status_code == 400
    form = response.context["site_form"]
    assert form.errors == {
        "side": [
            "The eyelid (both sides) overlaps the right eyelid, already charted in this "
            "consultation: edit that site instead, so no milia are counted twice."
        ]
    }
    assert form.overlapping_site == existing
    html = response.content.decode()
    edit_url = f"/sites/{existing.pk}/edit/"
    assert (
        f'<a class="btn btn-sm btn-outline-primary site-overlap-edit" href="{edit_url}" '
        f'hx-get="{edit_url}" hx-target="#site-form">Edit the right eyelid site</a>'
    ) in html
    assert consultation.sites.count() == 1


def test_site_form_without_an_overlap_has_no_edit_link(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="right")

    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/", site_post(side="left", count="0"), **HTMX
    )

    assert response.status_code == 400
    assert response.context["site_form"].overlapping_site is None
    assert "site-overlap-edit" not in response.content.decode()


def test_site_form_edit_onto_an_overlap_is_refused(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    cheek = make_site(consultation, location="cheek", side="bilateral")
    nose = make_site(consultation, location="nose", side="midline")

    response = dermatologist_client.post(
        f"/sites/{nose.pk}/edit/", site_post(location="cheek", side="left"), **HTMX
    )

    assert response.status_code == 400
    assert response.context["site_form"].overlapping_site == cheek
    assert LesionSite.objects.get(pk=nose.pk).location == "nose"


# --- The admin ---------------------------------------------------------------------------------


@pytest.fixture
def superuser_client(db):
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def _inline_row(index: int, location: str, side: str) -> dict:
    prefix = f"sites-{index}-"
    return {
        f"{prefix}location": location,
        f"{prefix}side": side,
        f"{prefix}count": "2",
        f"{prefix}largest_mm": "1.0",
        f"{prefix}depth": "superficial",
        f"{prefix}months_present": "1",
    }


def test_admin_inline_refuses_two_new_rows_that_overlap(superuser_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    url = f"/admin/treatments/consultation/{consultation.pk}/change/"
    data = admin_form_data(superuser_client.get(url))
    data |= {"sites-TOTAL_FORMS": "2"}
    data |= _inline_row(0, "eyelid", "left") | _inline_row(1, "eyelid", "bilateral")

    response = superuser_client.post(url, data)

    assert response.status_code == 200
    (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert [form.errors for form in formset.forms] == [
        {},
        {
            "side": [
                "The eyelid (both sides) overlaps the left eyelid, already charted in this "
                "consultation: edit that site instead, so no milia are counted twice."
            ]
        },
    ]
    assert consultation.sites.count() == 0


def test_admin_site_form_refuses_an_overlap_with_a_stored_site(superuser_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="bilateral")
    new_site = {
        "consultation": consultation.pk,
        "location": "eyelid",
        "side": "left",
        "count": "1",
        "largest_mm": "1.0",
        "depth": "superficial",
        "months_present": "1",
        "tried-TOTAL_FORMS": "0",
        "tried-INITIAL_FORMS": "0",
    }

    response = superuser_client.post("/admin/treatments/lesionsite/add/", new_site)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "side": [
            "The left eyelid overlaps the eyelid (both sides), already charted in this "
            "consultation: edit that site instead, so no milia are counted twice."
        ]
    }
    assert consultation.sites.count() == 1
