"""The consultation page's chart fragment is a Jinja2 template (issue 14, docs/hot-pages.md): it
prints exactly what the Django fragment it replaced printed (tests/chart_reference/), for every
state of a chart, and its macros print what the Django partials the other pages include print.

The CSRF tokens are the one difference allowed: the same secret, masked anew at every render."""

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Engine, RequestContext, engines
from django.test import RequestFactory

from tests.factories import make_consultation, make_planned, make_site, make_user, sign
from treatments import roles, selectors, views
from treatments.forms import ConsultationForm
from treatments.models import PlannedTreatment

pytestmark = pytest.mark.django_db

# The Django fragment as it was (tests/chart_reference/), beside the project's own templates
# for the partials Django pages still include (_version_input.html, _error_summary.html, ...).
REFERENCE = Engine(
    dirs=[Path(__file__).parent / "chart_reference", settings.BASE_DIR / "templates"],
    context_processors=[
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
    ],
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
PLACES = [(location, side) for side in ("left", "right")
          for location in ("eyelid", "periorbital", "forehead", "temple", "cheek", "nose",
                           "perioral", "chin", "jawline", "ear")]  # fmt: skip
NASTY = "O'Brien's \"dry\" <script>alert(1)</script> & co"


def unmasked(html):
    return CSRF.sub('name="csrfmiddlewaretoken" value="TOKEN"', html)


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def reference_context(context):
    # The old view handed the fragment (site, edit address, remove address) for each site.
    return context | {
        "site_links": [(row.site, row.edit_url, row.delete_url) for row in context["charted_sites"]]
    }


def both(consultation, user, **changes):
    """The chart of ``consultation`` for ``user`` by the old Django fragment and by the view."""
    request = request_of(user)
    chart = selectors.consultation_chart(consultation.pk, user=user)
    context = views._chart_context(request, chart) | changes
    old = REFERENCE.get_template("treatments/_chart.html").render(
        RequestContext(request, reference_context(context))
    )
    new = views._chart_markup(request, context)
    assert CSRF.search(old) or not chart.can_edit or not chart.sites
    return unmasked(old), unmasked(new)


def with_sites(clinician, places, **fields):
    consultation = make_consultation(clinician=clinician, **fields)
    for location, side in places:
        make_site(consultation, location=location, side=side, tried=[("extraction", False)])
    return consultation


@pytest.mark.parametrize("sites", [0, 1, 20])
def test_draft_chart_prints_what_the_django_fragment_printed(dermatologist, sites):
    consultation = with_sites(dermatologist, PLACES[:sites])

    old, new = both(consultation, dermatologist)

    assert new.count('data-label="Count"') == sites
    assert new == old


@pytest.mark.parametrize("sites", [0, 1, 20])
def test_signed_chart_prints_what_the_django_fragment_printed(dermatologist, sites):
    consultation = with_sites(dermatologist, PLACES[:sites], recurrent=True, notes="Seen\nagain")

    old, new = both(sign(consultation) if sites else consultation, dermatologist)

    assert new == old


def test_sites_with_badges_and_tried_treatments(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="bilateral", count=12, depth="deep",
              tried=[("extraction", False), ("topical_retinoid", True)])  # fmt: skip
    make_site(consultation, location="nose", side="midline", red_flags=True, months_present=1)
    make_site(consultation, location="cheek", side="left", active_inflammation=True,
              largest_mm="2.5", months_present=0)  # fmt: skip
    make_site(consultation, location="other", side="midline", count=3, largest_mm="10.0")

    old, new = both(consultation, dermatologist)

    assert "Eye area" in new and "Warning signs" in new and "Inflamed" in new
    assert new == old


def test_plan_of_clinic_home_and_flagged_treatments(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    eyelid = make_site(consultation, location="eyelid", side="left")
    cheek = make_site(consultation, location="cheek", side="right")
    make_planned(consultation, code="extraction", sites=[cheek], sessions=3, interval_weeks=2,
                 starts_on=date(2026, 3, 2))  # fmt: skip
    make_planned(consultation, code="chemical_peel", sites=[cheek], sessions=1)
    home = make_planned(
        consultation, code="topical_retinoid", sites=[eyelid, cheek], sessions=1, scheduled=0
    )
    PlannedTreatment.objects.filter(pk=home.pk).update(
        sessions=None, starts_on=date(2026, 3, 2), review_on=date(2026, 6, 1),
        product_notes=f"Adapalene 0.1 % {NASTY}",
    )  # fmt: skip
    flagged = make_planned(consultation, code="cryotherapy", sites=[eyelid], sessions=1)
    PlannedTreatment.objects.filter(pk=flagged.pk).update(
        contraindicated_at="left eyelid", override_reason=NASTY, contraindication_accepted=True
    )
    overridden = make_planned(consultation, code="co2_laser", sites=[cheek], sessions=2)
    PlannedTreatment.objects.filter(pk=overridden.pk).update(override_reason=f"Asked {NASTY}")

    old, new = both(consultation, dermatologist)

    assert "review on Mon 1 Jun 2026" in new
    assert "Contraindicated" in new
    assert "&lt;script&gt;" in new and "<script>" not in new
    assert new == old


def test_signed_plan(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="cheek", side="left")
    make_planned(consultation, code="extraction", sessions=2, interval_weeks=1)

    old, new = both(sign(consultation), dermatologist)

    assert "2 sessions, every 1 week" in new
    assert new == old


def test_names_and_notes_are_escaped_as_django_escaped_them(dermatologist):
    consultation = with_sites(dermatologist, PLACES[:3], notes=f"{NASTY}\nline two")

    draft_old, draft_new = both(consultation, dermatologist)
    signed_old, signed_new = both(sign(consultation), dermatologist)

    assert "O&#x27;Brien&#x27;s &quot;dry&quot; &lt;script&gt;" in signed_new
    assert "<br>line two" in signed_new
    assert (draft_new, signed_new) == (draft_old, signed_old)


def test_details_form_with_errors_has_the_error_summary(dermatologist):
    consultation = with_sites(dermatologist, PLACES[:2])
    form = ConsultationForm(
        {"date": "2999-01-01", "milia_type": "nonsense", "notes": NASTY}, instance=consultation
    )
    form.add_error(None, f"Refused: {NASTY}")

    old, new = both(consultation, dermatologist, consultation_form=form, details_status="invalid")

    assert "Nothing was saved. Please correct:" in new
    assert "Not saved: correct the fields marked below." in new
    assert new == old


def test_details_form_alone_prints_what_the_django_partial_printed(dermatologist):
    # The htmx answer to details with errors: the form on its own (views.consultation_update).
    consultation = with_sites(dermatologist, PLACES[:1])
    request = request_of(dermatologist)
    form = ConsultationForm({"date": "2999-01-01", "milia_type": "primary"}, instance=consultation)
    chart = selectors.consultation_chart(consultation.pk, user=dermatologist)
    context = views._chart_context(request, chart) | {
        "consultation_form": form,
        "details_status": "invalid",
    }

    old = REFERENCE.get_template("treatments/_consultation_details.html").render(
        RequestContext(request, reference_context(context))
    )
    new = views.templating.render_markup("treatments/_consultation_details.html", context, request)

    assert unmasked(new) == unmasked(old)


@pytest.mark.parametrize("role", [roles.CLINIC_STAFF, roles.CLINIC_ADMIN])
def test_photos_section_follows_the_permission(dermatologist, role):
    consultation = with_sites(dermatologist, PLACES[:3])
    reader = make_user("reader", role)

    old, new = both(consultation, reader)

    assert ("Photos of the" in new) == (role == roles.CLINIC_STAFF)
    assert "Review and sign" not in new
    assert new == old


# --- The pages and responses that print the fragment -------------------------------------------


def test_consultation_page_prints_the_fragment(dermatologist_client, dermatologist):
    consultation = with_sites(dermatologist, PLACES[:2])
    old, _ = both(consultation, dermatologist)

    html = dermatologist_client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert f'<div id="chart">\n  {old}\n</div>\n' in unmasked(html)


def test_htmx_site_removal_answers_the_fragment(dermatologist_client, dermatologist):
    consultation = with_sites(dermatologist, PLACES[:3])
    site = consultation.sites.first()

    response = dermatologist_client.post(
        f"/sites/{site.pk}/delete/", {"version": consultation.version}, HTTP_HX_REQUEST="true"
    )
    consultation.refresh_from_db()
    old, _ = both(consultation, dermatologist)

    assert (response.status_code, response["HX-Retarget"]) == (200, "#chart")
    assert unmasked(response.content.decode()) == old


# --- The macros against the Django partials the other pages still include ---------------------


def macros():
    return engines["jinja2"].env.get_template("treatments/_macros.html").module


def django_partial(name, **context):
    return REFERENCE.get_template(f"treatments/{name}").render(Context(context))


def as_django(markup):
    """A macro's output with Jinja2's entities for ' and " written as Django writes them (as
    render_markup does over a whole template's output)."""
    return str(markup).replace("&#39;", "&#x27;").replace("&#34;", "&quot;")


def test_version_input_macro_is_the_django_partial(dermatologist):
    consultation = make_consultation(clinician=dermatologist)

    assert str(macros().version_input(consultation)) == django_partial(
        "_version_input.html", consultation=consultation
    )


@pytest.mark.parametrize(
    ("status", "message"),
    [("saved", ""), ("invalid", ""), ("refused", NASTY), (None, "")],
)
def test_details_status_macro_is_the_django_partial(dermatologist, settings, status, message):
    # A time late in the UTC day: printed in the clinic's time zone, as Django's engine does.
    settings.TIME_ZONE = "Australia/Sydney"
    consultation = make_consultation(clinician=dermatologist)
    consultation.updated_at = datetime(2026, 3, 2, 22, 45, tzinfo=ZoneInfo("UTC"))
    macro = macros().details_status(status, consultation, message, "/c/1/?a=1&b='2'")

    expected = django_partial(
        "_details_status.html",
        status=status,
        consultation=consultation,
        message=message,
        reload_url="/c/1/?a=1&b='2'",
    )

    assert as_django(macro) == expected
    if status == "saved":
        assert "Saved 09:45" in expected


def test_error_summary_macro_is_the_django_partial(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    form = ConsultationForm({"date": "2999-01-01", "notes": NASTY}, instance=consultation)
    form.add_error(None, f"Refused: {NASTY}")
    valid = ConsultationForm(instance=consultation)

    for checked in (form, valid):
        macro = macros().error_summary(checked)
        assert as_django(macro) == django_partial("_error_summary.html", form=checked)
    assert "Refused: O&#39;Brien" in str(macros().error_summary(form))


def test_contraindication_flag_macro_is_the_django_partial(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left")
    flagged = make_planned(consultation, code="cryotherapy", sessions=1)
    flagged.contraindicated_at, flagged.override_reason = "left eyelid", NASTY
    plain = make_planned(consultation, code="extraction", sessions=1)

    for planned in (flagged, plain):
        macro = macros().contraindication_flag(planned)
        assert as_django(macro) == django_partial("_contraindication_flag.html", planned=planned)


@pytest.mark.parametrize(
    "data",
    [
        None,  # the form of the page, from the record
        {"date": "2999-01-01", "milia_type": "nonsense", "recurrent": "on", "notes": NASTY},
        {
            "date": "2026-01-02",
            "initial-date": "2025-12-31",
            "milia_type": "secondary",
            "diagnosis_code": NASTY[:10],
            "initial-diagnosis_code": "L72.0",
            "notes": "",
        },
    ],
)
def test_widget_macro_draws_each_field_as_django_does(dermatologist, data):
    consultation = make_consultation(clinician=dermatologist, notes=NASTY, diagnosis_code="L72.8")
    form = ConsultationForm(data, instance=consultation)
    form.is_valid()
    macros = engines["jinja2"].env.get_template("treatments/_macros.html").make_module({})

    for field in form:
        drawn = str(macros.widget(field)).replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
        assert drawn == str(field), field.name


def test_widget_macro_refuses_a_widget_it_does_not_draw(dermatologist):
    form = ConsultationForm(instance=make_consultation(clinician=dermatologist))
    form.fields["milia_type"].widget = forms.RadioSelect(choices=[("primary", "Primary")])

    with pytest.raises(ValueError):
        form["milia_type"].widgets_drawn()
