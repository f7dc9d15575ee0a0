"""The consultation page's hottest partial, the advice panel, is a Jinja2 template (issue 14):
it prints exactly what the Django partial it replaced printed (tests/recommendations_reference/),
for every state of a chart, with the badges of the Django partial the other pages include."""

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Engine, engines

from tests.factories import make_consultation, make_patient, make_site, sign
from treatments import selectors, templating, views
from treatments.display import StatusBadge
from treatments.rules import STATUSES, Finding

pytestmark = pytest.mark.django_db

RULES_URL = "/rules/"
# The Django partial as it was, beside the project's own templates (_status_badge.html, which
# the plan page still includes): the Jinja2 one must print the same, byte for byte.
REFERENCE = Engine(
    dirs=[Path(__file__).parent / "recommendations_reference", settings.BASE_DIR / "templates"]
)
PLACES = [(location, side) for side in ("left", "right")
          for location in ("eyelid", "periorbital", "forehead", "temple", "cheek", "nose",
                           "perioral", "chin", "jawline", "ear")]  # fmt: skip


def reference(chart):
    return REFERENCE.get_template("treatments/_recommendations.html").render(
        Context({"chart": chart, "rules_url": RULES_URL})
    )


def chart_of(consultation, user):
    return selectors.consultation_chart(consultation.pk, user=user)


def with_sites(clinician, places, **fields):
    consultation = make_consultation(clinician=clinician, **fields)
    for location, side in places:
        make_site(consultation, location=location, side=side, tried=[("extraction", False)])
    return consultation


@pytest.mark.parametrize("sites", [0, 1, 3, 20])
def test_advice_panel_prints_what_the_django_partial_printed(dermatologist, sites):
    chart = chart_of(with_sites(dermatologist, PLACES[:sites]), dermatologist)

    assert views._recommendations(chart, RULES_URL) == reference(chart)


def test_advice_panel_of_a_refused_chart_escapes_as_django_does(dermatologist):
    # Dated before the patient's birth (kept from before the record refused it): the rules
    # refuse the chart, and the panel says why, apostrophe and all.
    patient = make_patient(date_of_birth=date(1990, 1, 1))
    consultation = with_sites(dermatologist, PLACES[:2], patient=patient, date=date(1980, 1, 1))
    chart = chart_of(consultation, dermatologist)

    html = views._recommendations(chart, RULES_URL)

    assert "The patient&#x27;s age on the consultation date" in html
    assert html == reference(chart)


def test_advice_panel_of_a_signed_chart_with_both_sides_and_inflammation(dermatologist):
    consultation = make_consultation(clinician=dermatologist, recurrent=True)
    make_site(consultation, location="eyelid", side="bilateral", count=12, depth="deep")
    make_site(consultation, location="cheek", side="left", active_inflammation=True)
    chart = chart_of(sign(consultation), dermatologist)

    assert views._recommendations(chart, RULES_URL) == reference(chart)


def test_advice_panel_escapes_what_it_prints(dermatologist):
    chart = chart_of(with_sites(dermatologist, PLACES[:1]), dermatologist)

    html = views._recommendations(chart, '/rules/?a=1&b="2"')

    assert 'href="/rules/?a=1&amp;b=&quot;2&quot;#rule-' in html
    assert html == reference(chart).replace(RULES_URL, "/rules/?a=1&amp;b=&quot;2&quot;")


@pytest.mark.parametrize("status", STATUSES)
def test_advice_panel_badge_is_the_django_status_badge(status):
    badge = StatusBadge.of(status)
    django_badge = REFERENCE.get_template("treatments/_status_badge.html").render(
        Context({"badge": badge})
    )
    macros = engines["jinja2"].env.get_template("treatments/_macros.html").make_module({})

    assert str(macros.status_badge(badge)) == django_badge


# --- The details form, drawn without crispy ----------------------------------------------------


def test_details_form_field_with_an_error_is_marked_and_described(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)

    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/edit/",
        {"version": consultation.version, "date": "2999-01-01", "milia_type": "primary"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert (
        '<input type="date" name="date" value="2999-01-01" '
        f'max="{consultation.date.isoformat()}" min="1990-05-17" required aria-invalid="true" '
        'aria-describedby="id_date_error" class="form-control is-invalid" id="id_date">'
    ) in html
    assert (
        '<div id="id_date_error" class="invalid-feedback"><p id="error_1_id_date"><strong>'
        "The consultation cannot be dated in the future.</strong></p></div>"
    ) in html
    assert '<select name="milia_type" class="form-select" id="id_milia_type">' in html


def test_details_form_fields_carry_bootstrap_classes_and_help(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)

    html = dermatologist_client.get(f"/consultations/{consultation.pk}/").content.decode()

    assert (
        '<input type="checkbox" name="recurrent" class="form-check-input" id="id_recurrent">'
    ) in html
    assert (
        '<div id="id_diagnosis_code_helptext" class="form-text">Milia are usually coded L72.0; '
        "some services use L72.8.</div>"
    ) in html
    assert "asteriskField" in html
    assert "dateinput" not in html  # crispy's class names: not drawn by crispy any more


def test_a_finding_is_escaped_once_and_printed_the_same_each_time():
    finding = Finding("X-1", "Under 2 mm & <not> 'inflamed'", 'Guide "A"')
    first = templating.finding_markup(finding, "/rules/?a=1&b=2")
    assert first == (
        '<a class="rule-id" href="/rules/?a=1&amp;b=2#rule-X-1" title="See rule X-1 in the rules'
        ' reference">X-1</a> Under 2 mm &amp; &lt;not&gt; &#39;inflamed&#39; <span class="source">'
        "(Guide &#34;A&#34;)</span>\n"
    )
    assert (
        templating.finding_markup(Finding("X-1", finding.text, finding.source), "/rules/?a=1&b=2")
        is first
    )


def test_status_cell_escapes_the_treatment_name():
    cell = templating.status_cell_markup('Peel <b>"A"</b>', StatusBadge.of("contraindicated"))

    assert cell == (
        '<li class="list-inline-item status-cell status-cell--contraindicated">'
        '<span aria-hidden="true">✖</span> Peel &lt;b&gt;&#34;A&#34;&lt;/b&gt;: '
        "contraindicated</li>"
    )
