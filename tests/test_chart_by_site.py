"""Issue 13: the consultation page says where each option holds and why, site by site."""

from decimal import Decimal

import pytest

from tests.factories import make_consultation, make_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_case(dermatologist):
    """Eyelids beside a forehead and both cheeks, as the demo patient DEMO-0006: the forehead's
    large, lasting milium resisted extraction."""
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left", count=3)
    make_site(consultation, location="eyelid", side="right", count=2)
    make_site(
        consultation,
        location="forehead",
        side="midline",
        count=4,
        largest_mm=Decimal("3.5"),
        months_present=14,
        tried=[("extraction", False)],
    )
    make_site(consultation, location="cheek", side="bilateral", count=6)
    return consultation


def _options(response) -> dict:
    return {option.code: option for option in response.context["chart"].options}


def test_chart_option_contraindicated_at_a_site_never_reads_plainly_recommended(
    dermatologist_client, mixed_case
):
    response = dermatologist_client.get(f"/consultations/{mixed_case.pk}/")

    cryo = _options(response)["cryotherapy"]
    assert (cryo.badge.status, cryo.badge.label) == ("recommended", "Recommended at some sites")
    assert cryo.where_text == (
        "Recommended for forehead; not indicated at cheek (both sides); "
        "contraindicated at eyelid (both sides)."
    )
    contraindicated = cryo.where[-1]
    assert contraindicated.heading == "Contraindicated at eyelid (both sides)"
    assert [reason.rule for reason in contraindicated.reasons] == ["CRYO-EYE", "CRYO-RESERVED"]
    html = response.content.decode()
    assert "<strong>By site:</strong> " + cryo.where_text in html
    assert "Contraindicated at eyelid (both sides):</p>" in html


def test_chart_option_says_why_extraction_is_not_indicated_at_the_forehead(
    dermatologist_client, mixed_case
):
    response = dermatologist_client.get(f"/consultations/{mixed_case.pk}/")

    extraction = _options(response)["extraction"]
    assert extraction.where_text == (
        "Recommended for eyelid (both sides) and cheek (both sides); not indicated at forehead."
    )
    forehead = extraction.where[-1]
    assert (forehead.badge.status, forehead.sites) == ("not_indicated", "forehead")
    assert [reason.rule for reason in forehead.reasons] == ["TRIED-FAILED"]
    # The group that shares the option's status repeats none of its reasons.
    assert extraction.where[0].reasons == ()


def test_chart_by_site_ranks_each_sites_options_with_reasons_and_cautions(
    dermatologist_client, mixed_case
):
    response = dermatologist_client.get(f"/consultations/{mixed_case.pk}/")

    left_eyelid, _, forehead, _ = response.context["chart"].matrix
    assert [(o.rank, o.code, o.badge.label) for o in left_eyelid.options] == [
        (1, "extraction", "Recommended"),
        (2, "chemical_peel", "Consider"),
        (3, "topical_retinoid", "Consider"),
        (4, "co2_laser", "Not indicated"),
        (5, "cryotherapy", "Contraindicated"),
    ]
    cryo_at_eyelid = left_eyelid.options[-1]
    assert [reason.rule for reason in cryo_at_eyelid.reasons] == ["CRYO-EYE", "CRYO-RESERVED"]
    extraction_at_forehead = next(o for o in forehead.options if o.code == "extraction")
    assert [reason.rule for reason in extraction_at_forehead.reasons] == ["TRIED-FAILED"]
    html = response.content.decode()
    assert html.count('<details class="site-why mt-1">') == 4


def test_chart_one_site_option_has_no_breakdown(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left")

    response = dermatologist_client.get(f"/consultations/{consultation.pk}/")

    extraction = _options(response)["extraction"]
    assert (extraction.badge.label, extraction.where_text, extraction.where) == (
        "Recommended",
        "",
        (),
    )
    assert "<strong>By site:</strong>" not in response.content.decode()


def test_chart_option_of_one_status_everywhere_says_every_site(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left")
    make_site(consultation, location="eyelid", side="right")

    response = dermatologist_client.get(f"/consultations/{consultation.pk}/")

    cryo = _options(response)["cryotherapy"]
    assert (cryo.badge.label, cryo.where_text) == (
        "Contraindicated",
        "Contraindicated at every site.",
    )


def test_plan_form_option_contraindicated_at_a_site_never_reads_plainly_recommended(
    dermatologist_client, mixed_case
):
    response = dermatologist_client.get(f"/consultations/{mixed_case.pk}/plan/")

    labels = {row.form["treatment"].value(): row.badge.label for row in response.context["rows"]}
    assert labels == {
        "extraction": "Recommended at some sites",
        "chemical_peel": "Recommended at some sites",
        "topical_retinoid": "Recommended at some sites",
        "cryotherapy": "Recommended at some sites",
        "co2_laser": "Recommended at some sites",
    }


def test_plan_form_option_of_one_status_everywhere_reads_plainly(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left")
    make_site(consultation, location="eyelid", side="right")

    response = dermatologist_client.get(f"/consultations/{consultation.pk}/plan/")

    labels = {row.form["treatment"].value(): row.badge.label for row in response.context["rows"]}
    assert (labels["extraction"], labels["cryotherapy"]) == ("Recommended", "Contraindicated")
