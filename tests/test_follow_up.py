"""Follow-up consultations and outcomes at a glance (issue 16, items 1 and 2)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from tests.factories import (
    make_consultation,
    make_patient,
    make_planned,
    make_site,
    record_outcome,
    sign,
)
from treatments import outcomes, selectors, services
from treatments.models import Consultation, Session, SiteOutcome
from treatments.rules import Status

TODAY = timezone.localdate()
EARLIER = TODAY - timedelta(days=60)


def signed_visit(clinician, *, patient=None, on=EARLIER, code="extraction", count=3, sessions=1):
    """A signed consultation with one site (left cheek) and ``code`` planned there, its sessions
    done on the day."""
    consultation = make_consultation(patient=patient, clinician=clinician, date=on)
    site = make_site(consultation, location="cheek", side="left", count=count)
    planned = make_planned(consultation, code=code, sites=[site], sessions=sessions, starts_on=on)
    sign(consultation)
    Session.objects.filter(planned_treatment=planned).update(
        done_at=timezone.now() - timedelta(days=(TODAY - on).days), done_by=clinician
    )
    return consultation


def record(follow_up, outcome, *, count=2, outcome_on=TODAY):
    return record_outcome(follow_up, outcome, count=count, outcome_on=outcome_on)


# --- Starting a follow-up -----------------------------------------------------------------------


def test_follow_up_start_carries_each_site_with_the_treatments_planned_there(dermatologist):
    earlier = signed_visit(dermatologist, code="chemical_peel")

    follow_up = services.follow_up_start(consultation=earlier, clinician=dermatologist)

    assert follow_up.follows == earlier
    assert follow_up.status == "draft"
    assert follow_up.sites.count() == 0  # re-entered, never copied
    carried = follow_up.site_outcomes.get()
    assert carried.previous_site == earlier.sites.get()
    assert [p.treatment.code for p in carried.treatments.all()] == ["chemical_peel"]
    assert carried.is_pending is True


def test_follow_up_start_returns_the_follow_up_already_open(dermatologist):
    earlier = signed_visit(dermatologist)
    first = services.follow_up_start(consultation=earlier, clinician=dermatologist)

    assert services.follow_up_start(consultation=earlier, clinician=dermatologist) == first


def test_follow_up_start_refuses_a_consultation_already_followed_up_and_signed(dermatologist):
    earlier = signed_visit(dermatologist)
    follow_up = services.follow_up_start(consultation=earlier, clinician=dermatologist)
    record(follow_up, "improved")
    services.consultation_sign(consultation=follow_up, user=dermatologist)

    with pytest.raises(ValidationError) as refused:
        services.follow_up_start(consultation=earlier, clinician=dermatologist)

    assert refused.value.messages == [
        f"This consultation was followed up on {TODAY:%-d %b %Y}: start the next follow-up "
        "from that one."
    ]


def test_follow_up_start_refuses_a_draft(dermatologist):
    draft = make_consultation(clinician=dermatologist)

    with pytest.raises(ValidationError) as refused:
        services.follow_up_start(consultation=draft, clinician=dermatologist)

    assert refused.value.messages == [
        "A follow-up continues a signed consultation: sign this one first."
    ]


# --- Recording outcomes: tried and failed -------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "worked"),
    [("improved", True), ("unchanged", False), ("worse", False), ("recurred", False)],
)
def test_site_outcome_record_maps_the_outcome_to_tried_at_the_new_site(
    dermatologist, outcome, worked
):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist, code="chemical_peel"), clinician=dermatologist
    )

    carried = record(follow_up, outcome)

    site = carried.site
    assert (site.location, site.side, site.count) == ("cheek", "left", 2)
    assert [(t.treatment, t.worked) for t in site.tried.all()] == [("chemical_peel", worked)]
    assert carried.is_pending is False


def test_site_outcome_record_cleared_charts_no_site(dermatologist):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )

    carried = record(follow_up, "cleared")

    assert carried.site is None
    assert follow_up.sites.count() == 0
    assert carried.is_pending is False


def test_site_outcome_record_refuses_a_date_outside_the_follow_up(dermatologist):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )

    with pytest.raises(ValidationError) as refused:
        record(follow_up, "improved", outcome_on=EARLIER - timedelta(days=1))

    assert list(refused.value.message_dict) == ["outcome_on"]
    assert follow_up.sites.count() == 0  # nothing half-saved


def test_follow_up_tried_keeps_earlier_history_and_records_the_latest_outcome():
    assert services.follow_up_tried(
        [("topical_retinoid", True), ("extraction", True)], ["extraction"], "unchanged"
    ) == [("topical_retinoid", True), ("extraction", False)]


def test_a_failed_extraction_leads_the_follow_up_advice_to_the_guides_next_step(dermatologist):
    # Few superficial milia: extraction is the first choice (EXT-FEW). It did not work: the
    # follow-up's advice no longer recommends it (TRIED-FAILED) and recommends the CO2 laser,
    # which the guide keeps for milia other methods could not clear (LASER-RESISTED).
    earlier = signed_visit(dermatologist, code="extraction", count=3)
    follow_up = services.follow_up_start(consultation=earlier, clinician=dermatologist)
    record(follow_up, "unchanged", count=3)

    result = services.consultation_evaluate(services.consultation_with_chart(follow_up.pk))

    site = result.sites[0]
    statuses = {option.treatment: option for option in site.options}
    assert statuses["extraction"].status == Status.NOT_INDICATED
    assert "TRIED-FAILED" in {f.rule for f in statuses["extraction"].reasons}
    assert statuses["co2_laser"].status == Status.RECOMMENDED
    assert "LASER-RESISTED" in {f.rule for f in statuses["co2_laser"].reasons}


# --- Signing ------------------------------------------------------------------------------------


def test_consultation_sign_refuses_a_follow_up_with_a_site_to_re_enter(dermatologist):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )

    with pytest.raises(services.FollowUpPending) as refused:
        services.consultation_sign(consultation=follow_up, user=dermatologist)

    assert str(refused.value) == "Re-enter or remove the carried site (left cheek) before signing."


def test_consultation_sign_signs_a_follow_up_once_its_sites_are_re_entered(dermatologist):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )
    record(follow_up, "improved")

    services.consultation_sign(consultation=follow_up, user=dermatologist)

    assert Consultation.objects.get(pk=follow_up.pk).is_signed


def test_consultation_sign_signs_a_follow_up_whose_every_site_cleared_without_advice(
    dermatologist,
):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )
    record(follow_up, "cleared")

    stored = services.consultation_sign(consultation=follow_up, user=dermatologist)

    assert stored is None
    assert Consultation.objects.get(pk=follow_up.pk).is_signed
    assert selectors.consultation_chart(follow_up.pk, user=dermatologist).result is None


def test_site_outcome_remove_leaves_the_site_out_and_signing_needs_a_site(dermatologist):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )
    carried = follow_up.site_outcomes.get()

    services.site_outcome_remove(site_outcome=carried, version=None)

    assert services.follow_up_pending(follow_up) == ""
    assert list(follow_up.site_outcomes.all()) == []


def test_a_removed_re_entered_site_makes_the_carried_site_pending_again(dermatologist):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )
    carried = record(follow_up, "worse")

    services.site_delete(site=carried.site, version=None)

    assert SiteOutcome.objects.get(pk=carried.pk).is_pending is True


def test_the_database_refuses_to_change_the_outcome_of_a_signed_follow_up(dermatologist):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )
    carried = record(follow_up, "improved")
    services.consultation_sign(consultation=follow_up, user=dermatologist)

    with pytest.raises(IntegrityError), transaction.atomic():
        SiteOutcome.objects.filter(pk=carried.pk).update(outcome="worse")


# --- Views --------------------------------------------------------------------------------------


def test_follow_up_start_view_opens_the_follow_up(dermatologist_client, dermatologist):
    earlier = signed_visit(dermatologist)

    response = dermatologist_client.post(f"/consultations/{earlier.pk}/follow-up/")

    follow_up = Consultation.objects.get(follows=earlier)
    assert response.status_code == 302
    assert response["Location"] == f"/consultations/{follow_up.pk}/"


def test_site_outcome_edit_asks_for_the_count_unless_cleared(dermatologist_client, dermatologist):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )
    carried = follow_up.site_outcomes.get()

    response = dermatologist_client.post(
        f"/outcomes/{carried.pk}/",
        {"outcome": "improved", "outcome_on": TODAY.isoformat(), "version": follow_up.version},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["count"] == ["Enter the number of milia as it is today."]
    assert "Last visit: 3." in response.content.decode()


def test_site_outcome_edit_says_why_when_the_site_was_charted_meanwhile(
    dermatologist_client, dermatologist
):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )
    make_site(follow_up, location="cheek", side="left")
    carried = follow_up.site_outcomes.get()

    response = dermatologist_client.post(
        f"/outcomes/{carried.pk}/",
        {
            "outcome": "improved",
            "outcome_on": TODAY.isoformat(),
            "count": 2,
            "largest_mm": "1.0",
            "depth": "superficial",
            "months_present": 3,
            "version": Consultation.objects.get(pk=follow_up.pk).version,
        },
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "The left cheek is already charted in this consultation: edit that site instead."
    ]
    assert SiteOutcome.objects.get(pk=carried.pk).outcome == ""


@pytest.mark.parametrize("treatment", ["9" * 25, "²", "abc"])
def test_site_outcome_edit_refuses_a_treatment_id_no_table_holds(
    dermatologist_client, dermatologist, treatment
):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist), clinician=dermatologist
    )
    carried = follow_up.site_outcomes.get()

    response = dermatologist_client.post(
        f"/outcomes/{carried.pk}/",
        {
            "outcome": "cleared",
            "outcome_on": TODAY.isoformat(),
            "treatments": [treatment],
            "version": follow_up.version,
        },
    )

    assert response.status_code == 400
    assert "treatments" in response.context["form"].errors
    assert SiteOutcome.objects.get(pk=carried.pk).outcome == ""


# --- Outcomes at a glance -----------------------------------------------------------------------


def three_visits_with_peels(clinician):
    """A patient seen three times: peels at the left cheek (12 milia), improved (5), cleared."""
    patient = make_patient()
    first = signed_visit(
        clinician, patient=patient, on=TODAY - timedelta(days=120), code="chemical_peel",
        count=12, sessions=2,
    )  # fmt: skip
    second = services.follow_up_start(consultation=first, clinician=clinician)
    Consultation.objects.filter(pk=second.pk).update(date=TODAY - timedelta(days=60))
    record(second, "improved", count=5, outcome_on=TODAY - timedelta(days=60))
    make_planned(second, code="chemical_peel", sessions=1, starts_on=TODAY - timedelta(days=60))
    sign(second)
    Session.objects.filter(planned_treatment__plan__consultation=second).update(
        done_at=timezone.now() - timedelta(days=60), done_by=clinician
    )
    third = services.follow_up_start(consultation=second, clinician=clinician)
    record(third, "cleared")
    sign(third)
    return patient


def test_patient_outcomes_chart_counts_per_site_over_visits(dermatologist):
    patient = three_visits_with_peels(dermatologist)
    consultations = list(patient.consultations.annotate(site_count=Count("sites")))
    sessions = list(Session.objects.history_of(patient))

    shown = selectors.patient_outcomes(patient, consultations, sessions)

    (chart,) = shown.charts
    assert chart.site == "Left cheek"
    assert [p.count for p in chart.points] == [12, 5, 0]
    assert [m.treatment for m in chart.marks] == ["chemical_peel"] * 3
    assert shown.table_rows == [("Left cheek", [12, 5, 0])]
    assert [e.text for e in shown.timeline if e.kind == "outcome"] == [
        "Left cheek: improved after chemical peel",
        "Left cheek: cleared after chemical peel",
    ]


def test_site_charts_place_points_on_a_shared_time_axis():
    day = TODAY
    (chart,) = outcomes.site_charts(
        [outcomes.CountSeen("Nose", day, 10), outcomes.CountSeen("Nose", day + timedelta(10), 0)],
        [outcomes.SessionDone("Nose", day + timedelta(5), "chemical_peel", "Chemical peel")],
    )

    assert chart.y_max == 10
    assert [(p.x, p.y) for p in chart.points] == [(46, 12), (298, 116)]
    assert [m.x for m in chart.marks] == [172]


def test_patient_page_shows_the_chart_with_its_table(dermatologist_client, dermatologist):
    patient = three_visits_with_peels(dermatologist)

    page = dermatologist_client.get(f"/patients/{patient.pk}/").content.decode()

    assert "<svg" in page
    outcomes_section = page.split('id="outcomes-heading"')[1].split("</section>")[0]
    assert "<script" not in outcomes_section
    assert '<th scope="row">Left cheek</th><td>12</td><td>5</td><td>0</td>' in page


def test_outcome_report_counts_sites_per_treatment_outcome_and_sessions(dermatologist):
    three_visits_with_peels(dermatologist)

    rows = selectors.outcome_report()

    assert [(r.treatment, r.sessions_done, r.cells) for r in rows] == [
        ("Chemical peel", 1, [("Cleared", 1), ("Improved", 0), ("Unchanged", 0), ("Worse", 0),
                              ("Recurred", 0)]),
        ("Chemical peel", 2, [("Cleared", 0), ("Improved", 1), ("Unchanged", 0), ("Worse", 0),
                              ("Recurred", 0)]),
    ]  # fmt: skip


def test_outcome_report_counts_only_the_sessions_done_by_the_outcome(dermatologist):
    follow_up = services.follow_up_start(
        consultation=signed_visit(dermatologist, code="chemical_peel", sessions=2),
        clinician=dermatologist,
    )
    record(follow_up, "improved", outcome_on=TODAY - timedelta(days=1))
    sign(follow_up)
    # The second session of the course was done after the outcome was seen.
    Session.objects.filter(number=2).update(done_at=timezone.now())

    (row,) = selectors.outcome_report()

    assert (row.sessions_done, row.total) == (1, 1)


def test_outcome_report_csv_for_the_clinic_admin(client, clinic_admin, dermatologist):
    three_visits_with_peels(dermatologist)
    client.force_login(clinic_admin)

    response = client.get("/reports/outcomes.csv")

    assert response.status_code == 200
    assert response.content.decode().splitlines() == [
        "treatment,sessions done,Cleared,Improved,Unchanged,Worse,Recurred,sites",
        "Chemical peel,1,1,0,0,0,0,1",
        "Chemical peel,2,0,1,0,0,0,1",
    ]
