"""The patient page prints what it printed before issue 14 made it cheaper (docs/hot-pages.md):
the same bytes, CSRF tokens aside, as its templates of before (tests/patient_page_reference/)
given what the view gave them then; and so do the two other pages that include the sessions
table, the sessions list and home.

The views now hand the templates ready values (dates and numbers as text, the charts'
coordinates, the rows' addresses, the permission as one boolean). Each test asks the real page,
then renders the old templates with the old context worked out from the new one, through the
same request."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.template import Engine, RequestContext
from django.utils import timezone

from tests.factories import (
    make_consultation,
    make_patient,
    make_photo,
    make_planned,
    make_site,
    make_user,
    record_outcome,
    sign,
)
from treatments import outcomes, roles, services
from treatments.models import Consultation, PlannedTreatment, Session

pytestmark = pytest.mark.django_db

# The templates as they were, before the project's own (base.html and the unchanged partials).
REFERENCE = Engine(
    dirs=[Path(__file__).parent / "patient_page_reference", settings.BASE_DIR / "templates"],
    context_processors=settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
)
# The forms' tokens, and the layout's for htmx (its hx-headers).
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')
NASTY = "O'Brien's \"dry\" <script>alert(1)</script> & co"
TODAY = timezone.localdate()


def unmasked(html):
    return CSRF.sub(r'\1TOKEN"', html)


@dataclass
class OldChart:
    """A chart with the geometry the old template read from it (and did its arithmetic on)."""

    chart: outcomes.SiteChart
    width: int = outcomes.WIDTH
    height: int = outcomes.HEIGHT
    left: int = outcomes.LEFT
    right_x: int = outcomes.WIDTH - outcomes.RIGHT
    top: int = outcomes.TOP
    axis_y: int = outcomes.HEIGHT - outcomes.BOTTOM

    def __getattr__(self, name):
        return getattr(self.chart, name)


def old_context(context):
    """What the views gave the templates before: the sessions themselves, for the table to
    work out its rows, and the outcomes' charts as data only."""
    shown = context.get("outcomes")
    if shown is not None:
        shown = SimpleNamespace(
            charts=[OldChart(chart) for chart in shown.charts],
            table_dates=shown.table_dates,
            table_rows=shown.table_rows,
            timeline=shown.timeline,
        )
    return context | {
        "sessions": [row.session for row in context.get("session_rows", ())],
        "outcomes": shown,
    }


def both(client, url, template):
    """The page at ``url`` as the view prints it now, and as ``template`` of before printed it
    with the old context, for the same request."""
    response = client.get(url)
    assert response.status_code == 200
    context = response.context[0].flatten()
    old = REFERENCE.get_template(template).render(
        RequestContext(response.wsgi_request, old_context(context))
    )
    return unmasked(old), unmasked(response.content.decode())


def patient_page(client, patient):
    return both(client, f"/patients/{patient.pk}/", "treatments/patient_detail.html")


# --- The data -----------------------------------------------------------------------------------


def record(follow_up, previous, outcome, *, count=2):
    record_outcome(follow_up, outcome, previous=previous, count=count)


def done(planned, *, days_ago, by, numbers=None, reason=""):
    sessions = Session.objects.filter(planned_treatment=planned)
    if numbers is not None:
        sessions = sessions.filter(number__in=numbers)
    sessions.update(
        done_at=timezone.now() - timedelta(days=days_ago), done_by=by, done_reason=reason
    )


def patient_of_many_visits(clinician, *, photos=True, **names):
    """Three signed visits and a draft: sites that cleared, improved and recurred, sessions done
    long ago and today, to do dated and not, a contraindicated treatment planned with a reason,
    home treatments to review, photos."""
    patient = make_patient(**names)
    first = make_consultation(patient=patient, clinician=clinician, date=TODAY - timedelta(200))
    cheek = make_site(first, location="cheek", side="left", count=12)
    nose = make_site(first, location="nose", side="midline", count=4)
    forehead = make_site(first, location="forehead", side="midline", count=137)
    peel = make_planned(first, code="chemical_peel", sites=[cheek, forehead], sessions=2,
                        interval_weeks=3, starts_on=TODAY - timedelta(199))  # fmt: skip
    extraction = make_planned(first, code="extraction", sites=[nose], starts_on=first.date)
    if photos:
        make_photo(cheek, by=clinician)
        make_photo(cheek, by=clinician)
        make_photo(nose, by=clinician)
    sign(first)
    done(peel, days_ago=199, by=clinician, numbers=[1])
    done(peel, days_ago=170, by=clinician, numbers=[2], reason="Late: the patient was away")
    done(extraction, days_ago=199, by=clinician)

    second = services.follow_up_start(consultation=first, clinician=clinician)
    Consultation.objects.filter(pk=second.pk).update(date=TODAY - timedelta(100))
    record(second, cheek, "improved", count=5)
    record(second, nose, "cleared")
    record(second, forehead, "recurred", count=141)
    second.refresh_from_db()
    cheek_again = second.sites.get(location="cheek")
    laser = make_planned(second, code="extraction", sites=[cheek_again], sessions=4,
                         interval_weeks=2, starts_on=TODAY - timedelta(14),
                         scheduled=3)  # fmt: skip
    home = make_planned(second, code="topical_retinoid", sites=[cheek_again], scheduled=0)
    PlannedTreatment.objects.filter(pk=home.pk).update(
        sessions=None, starts_on=TODAY - timedelta(100), review_on=TODAY + timedelta(20)
    )
    flagged = make_planned(second, code="cryotherapy", sites=[cheek_again], sessions=2)
    PlannedTreatment.objects.filter(pk=flagged.pk).update(
        contraindicated_at="left cheek", override_reason=f"Agreed with {NASTY}"
    )
    if photos:
        make_photo(cheek_again, by=clinician)
    sign(second)
    done(laser, days_ago=14, by=clinician, numbers=[1])
    done(laser, days_ago=0, by=clinician, numbers=[2])

    third = services.follow_up_start(consultation=second, clinician=clinician)
    Consultation.objects.filter(pk=third.pk).update(date=TODAY - timedelta(100))
    for carried in third.site_outcomes.select_related("previous_site"):
        record(third, carried.previous_site, "unchanged", count=carried.previous_site.count)
    sign(third)
    # A draft follow-up, not on the charts.
    services.follow_up_start(consultation=third, clinician=clinician)
    return patient


@pytest.fixture
def admin_client(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


# --- The patient page ---------------------------------------------------------------------------


def test_patient_of_many_visits_prints_what_it_printed(dermatologist_client, dermatologist):
    patient = patient_of_many_visits(dermatologist)

    old, new = patient_page(dermatologist_client, patient)

    assert new.count("<svg") == 3 and new.count('class="count-point"') == 8
    assert 'class="mark ' in new and "Undo</button>" in new and "Mark done</a>" in new
    assert "Contraindicated</span>" in new and "Home treatment reviews" in new
    assert "Photos, before and after" in new and "(reason: Late: the patient was away)" in new
    assert new == old


@pytest.mark.parametrize("user_client", ["staff_client", "admin_client"])
def test_patient_page_for_other_roles(request, user_client, dermatologist):
    patient = patient_of_many_visits(dermatologist)
    client = request.getfixturevalue(user_client)

    old, new = patient_page(client, patient)

    # The clinic admin may neither see photos nor mark sessions.
    assert ("Photos, before and after" in new) == (user_client == "staff_client")
    assert ("Mark done</a>" in new) == (user_client == "staff_client")
    assert new == old


def test_patient_with_names_to_escape(dermatologist_client, dermatologist):
    patient = patient_of_many_visits(
        dermatologist, photos=False, given_name=NASTY, family_name='<b>Zoë</b> & "Ø"'
    )

    old, new = patient_page(dermatologist_client, patient)

    assert "&lt;script&gt;" in new and "<script>alert" not in new
    assert new == old


def test_patient_of_nothing_signed(dermatologist_client, dermatologist):
    patient = make_patient()
    draft = make_consultation(patient=patient, clinician=dermatologist)
    make_site(draft, location="chin", side="midline", count=2)

    old, new = patient_page(dermatologist_client, patient)

    assert "No signed consultation yet" in new and "No session planned." in new
    assert new == old


def test_patient_of_nothing_at_all(dermatologist_client):
    patient = make_patient()

    old, new = patient_page(dermatologist_client, patient)

    assert "No consultation yet." in new
    assert new == old


def test_one_visit_on_one_day(dermatologist_client, dermatologist):
    """All the points on one day: each chart's one point in its middle."""
    patient = make_patient()
    visit = make_consultation(patient=patient, clinician=dermatologist, date=date(2025, 9, 7))
    make_site(visit, location="ear", side="right", count=3)
    make_site(visit, location="ear", side="left", count=1000)
    sign(visit)

    old, new = patient_page(dermatologist_client, patient)

    assert "7 Sep 2025" in new
    assert new == old


# --- The other pages of the sessions table ------------------------------------------------------


def sessions_of_several_patients(clinician):
    for n, names in enumerate([{}, {"given_name": NASTY}, {"family_name": "D'Arcy"}]):
        visit = make_consultation(patient=make_patient(**names), clinician=clinician)
        site = make_site(visit, location="cheek", side="right")
        planned = make_planned(visit, code="extraction", sites=[site], sessions=3 + n,
                               interval_weeks=1, starts_on=TODAY)  # fmt: skip
        flagged = make_planned(visit, code="cryotherapy", sites=[site], sessions=1, starts_on=TODAY)
        PlannedTreatment.objects.filter(pk=flagged.pk).update(
            contraindicated_at="right cheek", override_reason="Asked for"
        )
        sign(visit)
        if n == 1:
            done(planned, days_ago=0, by=clinician, numbers=[1])


@pytest.mark.parametrize("url", ["/sessions/", "/sessions/?page=1&q=%3C'x'%3E"])
@pytest.mark.parametrize("user_client", ["dermatologist_client", "admin_client"])
def test_sessions_list_prints_what_it_printed(request, url, user_client, dermatologist):
    sessions_of_several_patients(dermatologist)
    client = request.getfixturevalue(user_client)

    old, new = both(client, url, "treatments/session_list.html")

    assert new.count("<tr") == 1 + 15
    assert ("Undo</button>" in new) == (user_client == "dermatologist_client")
    assert new == old


def test_sessions_list_of_none(dermatologist_client):
    old, new = both(dermatologist_client, "/sessions/", "treatments/session_list.html")

    assert "No sessions from today on." in new
    assert new == old


@pytest.mark.parametrize("user", [roles.DERMATOLOGIST, roles.CLINIC_STAFF])
def test_home_prints_what_it_printed(client, user, dermatologist):
    sessions_of_several_patients(dermatologist)
    client.force_login(make_user("someone", user))

    old, new = both(client, "/", "treatments/home.html")

    assert "Mark done</a>" in new
    assert new == old
