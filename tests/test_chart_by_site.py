"""Issue 13: the consultation page says where each option holds and why, site by site."""

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import (
    make_consultation,
    make_patient,
    make_recommendation,
    make_site,
    sign,
)
from treatments import selectors, services
from treatments.models import Consultation, LesionSite

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


def _site_advice(client, site, **params):
    return client.get(f"/sites/{site.pk}/advice/", params, HTTP_HX_REQUEST="true")


def test_chart_by_site_fetches_each_sites_ranked_options_when_opened(
    dermatologist_client, mixed_case
):
    page = dermatologist_client.get(f"/consultations/{mixed_case.pk}/").content.decode()
    left_eyelid, _, forehead, _ = mixed_case.sites.order_by("id")

    # The page links each site to its options (fetched when opened) and prints none of them.
    assert page.count('<details class="site-why mt-1" hx-get=') == 4
    assert f'hx-get="/sites/{left_eyelid.pk}/advice/?version={mixed_case.version}"' in page
    assert "site-why__option" not in page
    advice = selectors.site_advice(left_eyelid.pk, shown_version=None)
    assert [(o.rank, o.code, o.badge.label) for o in advice.options] == [
        (1, "extraction", "Recommended"),
        (2, "chemical_peel", "Consider"),
        (3, "topical_retinoid", "Consider"),
        (4, "co2_laser", "Not indicated"),
        (5, "cryotherapy", "Contraindicated"),
    ]
    cryo_at_eyelid = advice.options[-1]
    assert [reason.rule for reason in cryo_at_eyelid.reasons] == ["CRYO-EYE", "CRYO-RESERVED"]
    html = _site_advice(dermatologist_client, left_eyelid, version=mixed_case.version)
    html = html.content.decode()
    assert html.count('<li class="site-why__option') == 5
    assert "1. Mechanical extraction" in html and "CRYO-EYE" in html
    assert "<html" not in html and "changed since" not in html
    forehead_options = selectors.site_advice(forehead.pk, shown_version=None).options
    extraction_at_forehead = next(o for o in forehead_options if o.code == "extraction")
    assert [reason.rule for reason in extraction_at_forehead.reasons] == ["TRIED-FAILED"]


def test_site_advice_without_htmx_is_a_page_of_its_own(staff_client, mixed_case):
    site = mixed_case.sites.order_by("id").first()

    response = staff_client.get(f"/sites/{site.pk}/advice/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and "Left eyelid: the ranked options" in html
    assert html.count('<li class="site-why__option') == 5


def test_site_advice_says_when_the_chart_changed_since_the_page_was_opened(
    dermatologist_client, mixed_case
):
    site = mixed_case.sites.order_by("id").first()

    response = _site_advice(dermatologist_client, site, version=mixed_case.version + 1)

    html = response.content.decode()
    assert "The chart has changed since this page was opened" in html
    assert html.count('<li class="site-why__option') == 5


def test_site_advice_of_a_signed_chart_is_the_advice_stored_at_signing(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)
    site = make_site(consultation, location="eyelid", side="left")
    output = services.consultation_evaluate(
        services.consultation_with_chart(consultation.pk)
    ).to_dict()
    output["sites"][0]["options"][0]["reasons"][0]["text"] = "As the rules said at signing."
    make_recommendation(consultation, output=output)
    sign(consultation)

    response = _site_advice(dermatologist_client, site)

    assert "As the rules said at signing." in response.content.decode()


def test_site_advice_of_a_refused_chart_says_why(dermatologist_client, dermatologist):
    patient = make_patient(date_of_birth=date(1990, 1, 1))
    consultation = make_consultation(clinician=dermatologist, patient=patient)
    site = make_site(consultation, location="cheek", side="left")
    Consultation.objects.filter(pk=consultation.pk).update(date=date(1980, 1, 1))

    response = _site_advice(dermatologist_client, site)

    assert response.status_code == 200
    html = response.content.decode()
    assert "The patient&#x27;s age on the consultation date" in html
    assert "site-why__option" not in html


@pytest.mark.parametrize("version", ["9" * 5000, "-1", "١", "abc", ""])
def test_site_advice_ignores_a_version_it_cannot_read(dermatologist_client, mixed_case, version):
    site = mixed_case.sites.order_by("id").first()

    response = _site_advice(dermatologist_client, site, version=version)

    assert response.status_code == 200
    assert "changed since" not in response.content.decode()


def test_site_advice_of_no_such_site_is_not_found(dermatologist_client):
    assert _site_advice(dermatologist_client, LesionSite(pk=999_999)).status_code == 404


def test_site_advice_of_a_site_removed_while_it_was_read_is_not_found(
    dermatologist_client, mixed_case, monkeypatch
):
    # Another clinician removes the consultation between the site's read and the chart's.
    site = mixed_case.sites.order_by("id").first()

    def removed_meanwhile(pk):
        raise Consultation.DoesNotExist

    monkeypatch.setattr(services, "consultation_with_chart", removed_meanwhile)

    assert _site_advice(dermatologist_client, site).status_code == 404


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
