"""Recording sessions (issue 13): confirmation, a reason when early or out of order, undo the
same day, done sessions kept in view; sessions on open days; the retinoid as a home treatment."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import (
    make_consultation,
    make_course,
    make_patient,
    make_site,
    make_user,
)
from treatments import display, roles, services
from treatments.models import PlannedTreatment, Session
from treatments.rules import COURSES

pytestmark = pytest.mark.django_db

REASON_FIELD = "Reason for marking it done"


def peel_course(dermatologist, **fields):
    """Four peels three weeks apart from today: session 3 is six weeks ahead."""
    return make_course(
        dermatologist, code="chemical_peel", sessions=4, interval_weeks=3, sites=(("cheek",
        "left"),), **fields
    )  # fmt: skip


def session(planned, number):
    return planned.treatment_sessions.get(number=number)


# --- Services -----------------------------------------------------------------------------------


def test_session_mark_done_records_who_when_and_no_reason_when_none_is_needed(dermatologist, staff):
    today = timezone.localdate()
    first = session(peel_course(dermatologist), 1)

    services.session_mark_done(session=first, on=today, by=staff)

    first.refresh_from_db()
    assert (first.done_by, timezone.localdate(first.done_at), first.done_reason) == (
        staff,
        today,
        "",
    )


def test_session_mark_done_early_and_out_of_order_without_a_reason_is_refused(dermatologist, staff):
    third = session(peel_course(dermatologist), 3)

    with pytest.raises(ValidationError) as refused:
        services.session_mark_done(session=third, on=timezone.localdate(), by=staff, reason="  ")

    day = third.scheduled_for
    assert refused.value.message_dict == {
        "reason": [
            "Session 3 cannot be marked done without a reason: it is planned for "
            f"{day:%a} {day.day} {day:%b %Y}, after today; and sessions 1 and 2 of this course "
            "are not done yet. Say why in “Reason for marking it done”, or mark the right "
            "session."
        ]
    }
    third.refresh_from_db()
    assert third.done_at is None


def test_session_mark_done_out_of_order_on_its_date_still_needs_a_reason(dermatologist, staff):
    planned = peel_course(dermatologist, starts_on=timezone.localdate() - timedelta(weeks=3))
    second = session(planned, 2)  # due today; session 1 was never marked

    with pytest.raises(ValidationError) as refused:
        services.session_mark_done(session=second, on=timezone.localdate(), by=staff)

    assert list(refused.value.message_dict) == ["reason"]
    assert "session 1 of this course is not done yet" in refused.value.message_dict["reason"][0]


def test_session_mark_done_early_with_a_reason_keeps_the_reason(dermatologist, staff):
    third = session(peel_course(dermatologist), 3)

    services.session_mark_done(
        session=third, on=timezone.localdate(), by=staff, reason="Patient moves abroad."
    )

    third.refresh_from_db()
    assert (third.done_by, third.done_reason) == (staff, "Patient moves abroad.")


def test_session_mark_done_after_its_date_needs_no_reason(dermatologist, staff):
    planned = make_course(dermatologist, starts_on=timezone.localdate() - timedelta(days=2))

    services.session_mark_done(session=session(planned, 1), on=timezone.localdate(), by=staff)

    assert session(planned, 1).is_done is True


def test_session_mark_done_twice_changes_nothing(dermatologist, staff):
    first = session(peel_course(dermatologist), 1)
    services.session_mark_done(session=first, on=timezone.localdate(), by=staff)
    marked = Session.objects.get(pk=first.pk).done_at

    services.session_mark_done(
        session=first, on=timezone.localdate(), by=dermatologist, reason="again"
    )

    first.refresh_from_db()
    assert (first.done_at, first.done_by, first.done_reason) == (marked, staff, "")


def test_session_mark_done_by_the_clinic_admin_is_refused(dermatologist, clinic_admin):
    first = session(peel_course(dermatologist), 1)

    with pytest.raises(PermissionDenied):
        services.session_mark_done(session=first, on=timezone.localdate(), by=clinic_admin)


def test_session_undo_on_the_same_day_clears_it_and_is_audited(dermatologist, staff):
    third = session(peel_course(dermatologist), 3)
    services.session_mark_done(session=third, on=timezone.localdate(), by=staff, reason="Error")
    marker = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    services.session_undo(session=third, on=timezone.localdate(), by=dermatologist)

    third.refresh_from_db()
    assert (third.done_at, third.done_by, third.done_reason) == (None, None, "")
    (event,) = AuditEvent.objects.filter(
        id__gt=marker, action="update", object_type="treatments.session"
    )
    assert (event.patient_id, sorted(event.detail["changes"])) == (
        third.planned_treatment.plan.consultation.patient_id,
        ["done_at", "done_by", "done_reason"],
    )


def test_session_undo_on_a_later_day_is_refused(dermatologist, staff):
    first = session(peel_course(dermatologist), 1)
    services.session_mark_done(session=first, on=timezone.localdate(), by=staff)

    with pytest.raises(ValidationError) as refused:
        services.session_undo(session=first, on=timezone.localdate() + timedelta(days=1), by=staff)

    assert refused.value.messages == ["A session can only be undone on the day it was marked done."]
    assert Session.objects.get(pk=first.pk).is_done is True


def test_session_undo_of_a_session_not_done_is_refused(dermatologist, staff):
    with pytest.raises(ValidationError) as refused:
        services.session_undo(
            session=session(peel_course(dermatologist), 1), on=timezone.localdate(), by=staff
        )

    assert refused.value.messages == ["This session is not marked done."]


# --- Pages: confirm, reason, undo, done sessions in view ---------------------------------------


def test_mark_done_link_opens_a_confirmation_that_changes_nothing(staff_client, dermatologist):
    first = session(peel_course(dermatologist), 1)

    response = staff_client.get(f"/sessions/{first.pk}/done/?next=/today/")

    html = response.content.decode()
    assert response.status_code == 200
    assert ("Confirm: session 1 done" in html, REASON_FIELD in html) == (True, False)
    assert '<input type="hidden" name="next" value="/today/">' in html
    assert Session.objects.get(pk=first.pk).is_done is False


def test_confirmation_of_an_early_session_asks_for_the_reason(staff_client, dermatologist):
    third = session(peel_course(dermatologist), 3)

    html = staff_client.get(f"/sessions/{third.pk}/done/").content.decode()

    assert REASON_FIELD in html
    assert "Sessions 1 and 2 of this course are not done yet." in html


def test_confirming_an_early_session_without_reason_is_refused_naming_the_field(
    staff_client, dermatologist
):
    third = session(peel_course(dermatologist), 3)

    response = staff_client.post(f"/sessions/{third.pk}/done/", {"reason": ""})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["reason"]
    assert "Say why in “Reason for marking it done”" in errors["reason"][0]
    assert Session.objects.get(pk=third.pk).is_done is False


def test_confirming_an_early_session_with_a_reason_marks_it_and_returns(
    staff_client, staff, dermatologist
):
    third = session(peel_course(dermatologist), 3)

    response = staff_client.post(
        f"/sessions/{third.pk}/done/", {"reason": "Brought forward", "next": "/sessions/"}
    )

    third.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, "/sessions/")
    assert (third.done_by, third.done_reason) == (staff, "Brought forward")


def test_a_session_of_a_draft_cannot_be_marked(staff_client, dermatologist):
    draft = peel_course(dermatologist, signed=False)

    response = staff_client.get(f"/sessions/{session(draft, 1).pk}/done/")

    assert response.status_code == 404


def test_undo_button_takes_a_session_back(staff_client, staff, dermatologist):
    first = session(peel_course(dermatologist), 1)
    services.session_mark_done(session=first, on=timezone.localdate(), by=staff)

    response = staff_client.post(f"/sessions/{first.pk}/undo/", {"next": "/today/"}, follow=True)

    assert response.redirect_chain == [("/today/", 302)]
    assert [str(m) for m in response.context["messages"]] == ["Session 1 is no longer marked done."]
    assert Session.objects.get(pk=first.pk).is_done is False


def test_undo_of_a_session_done_on_an_earlier_day_says_why_not(staff_client, staff, dermatologist):
    first = session(peel_course(dermatologist), 1)
    Session.objects.filter(pk=first.pk).update(
        done_at=timezone.now() - timedelta(days=1), done_by=staff
    )

    response = staff_client.post(f"/sessions/{first.pk}/undo/", follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "A session can only be undone on the day it was marked done."
    ]
    assert Session.objects.get(pk=first.pk).is_done is True


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr[ >].*?</tr>", html, flags=re.S)[1:]


def test_session_list_keeps_a_session_done_early_shown_as_done_with_undo(
    staff_client, staff, dermatologist
):
    planned = peel_course(dermatologist)
    services.session_mark_done(
        session=session(planned, 3), on=timezone.localdate(), by=staff, reason="Moving away"
    )

    rows = _rows(staff_client.get("/sessions/").content.decode())

    assert [("session-done" in row, "Undo</button>" in row, "Mark done</a>" in row)
            for row in rows] == [
        (False, False, True), (False, False, True), (True, True, False), (False, False, True)
    ]  # fmt: skip
    assert "by nurse.lee" in rows[2] and "(reason: Moving away)" in rows[2]


def test_patient_history_shows_done_sessions_struck_with_date_and_who(
    staff_client, staff, dermatologist
):
    planned = peel_course(dermatologist, starts_on=timezone.localdate() - timedelta(weeks=3))
    services.session_mark_done(session=session(planned, 1), on=timezone.localdate(), by=staff)
    patient = planned.plan.consultation.patient

    page = staff_client.get(f"/patients/{patient.pk}/").content.decode()
    # The sessions' table, not the outcomes' below it.
    rows = _rows(page.split('id="outcomes-heading"')[0])

    assert len(rows) == 4
    done_at = session(planned, 1).done_at
    assert f"{timezone.localtime(done_at):%-d %b %Y, %H:%M} by nurse.lee" in rows[0]
    assert rows[0].startswith('<tr class="session-done">') and "<del>" in rows[0]
    assert ["session-done" in row for row in rows[1:]] == [False, False, False]


def test_today_shows_a_done_session_as_done_with_undo_for_staff(staff_client, staff, dermatologist):
    planned = make_course(dermatologist)
    services.session_mark_done(session=session(planned, 1), on=timezone.localdate(), by=staff)

    (row,) = _rows(staff_client.get("/today/").content.decode())

    assert ("Done</span>" in row, "Undo</button>" in row, "Mark done" in row) == (
        True,
        True,
        False,
    )


# --- Open days ----------------------------------------------------------------------------------


def _plan_and_sign(dermatologist, choice, *, consultation=None):
    consultation = consultation or make_consultation(clinician=dermatologist)
    site = make_site(consultation, location="cheek", side="left", count=20)
    services.plan_save(
        consultation=consultation,
        user=dermatologist,
        choices=[
            services.PlanChoice(
                site_ids=(site.pk,), override_reason="The patient's informed choice.", **choice
            )
        ],
        version=None,
    )
    services.consultation_sign(consultation=consultation, user=dermatologist)
    return PlannedTreatment.objects.get(plan__consultation=consultation)


def test_signing_dates_sessions_only_on_the_days_the_clinic_is_open(dermatologist, settings):
    settings.MILIA_CLINIC_OPEN_DAYS = frozenset({1, 3})  # Tuesday and Thursday
    saturday = date(2026, 12, 5)

    planned = _plan_and_sign(
        dermatologist,
        {"treatment": "extraction", "sessions": 3, "interval_weeks": 1, "starts_on": saturday},
    )

    assert [s.scheduled_for for s in planned.treatment_sessions.order_by("number")] == [
        date(2026, 12, 8),
        date(2026, 12, 15),
        date(2026, 12, 22),
    ]


def test_plan_form_starts_each_treatment_on_the_consultation_date_or_next_open_day(
    dermatologist_client, dermatologist, settings
):
    settings.MILIA_CLINIC_OPEN_DAYS = frozenset(range(5))
    sunday = timezone.localdate() - timedelta(days=(timezone.localdate().weekday() + 1) % 7)
    consultation = make_consultation(clinician=dermatologist, date=sunday)
    make_site(consultation, location="cheek", side="left")

    response = dermatologist_client.get(f"/consultations/{consultation.pk}/plan/")

    starts = {form.initial["starts_on"] for form in response.context["formset"].forms}
    assert starts == {sunday + timedelta(days=1)}


# --- The retinoid: a home treatment with a review ----------------------------------------------


def test_a_retinoid_plan_has_no_sessions_and_a_review_twelve_weeks_on(dermatologist, settings):
    settings.MILIA_CLINIC_OPEN_DAYS = frozenset(range(5))
    saturday = date(2026, 12, 5)

    planned = _plan_and_sign(
        dermatologist,
        {"treatment": "topical_retinoid", "sessions": 1, "interval_weeks": 2,
         "starts_on": saturday},
    )  # fmt: skip

    assert (planned.sessions, planned.interval_weeks, planned.review_on) == (
        None,
        None,
        date(2027, 3, 1),  # 12 weeks on is Saturday 27 February: the next open day
    )
    assert planned.treatment_sessions.count() == 0


def test_plan_form_posts_a_retinoid_without_sessions(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist, recurrent=True)
    site = make_site(consultation, location="cheek", side="left")
    page = dermatologist_client.get(f"/consultations/{consultation.pk}/plan/")
    data = {"version": consultation.version, "plan-TOTAL_FORMS": 5, "plan-INITIAL_FORMS": 0}
    for index, form in enumerate(page.context["formset"].forms):
        code = form.initial["treatment"]
        data[f"plan-{index}-treatment"] = code
        if code == "topical_retinoid":
            data |= {f"plan-{index}-include": "on", f"plan-{index}-sites": site.pk,
                     f"plan-{index}-starts_on": "2026-11-02"}  # fmt: skip
        elif code == "extraction":
            data |= {f"plan-{index}-include": "on", f"plan-{index}-sites": site.pk,
                     f"plan-{index}-sessions": 1}  # fmt: skip
    html = page.content.decode()

    response = dermatologist_client.post(f"/consultations/{consultation.pk}/plan/", data)

    assert response.status_code == 302, response.context["formset"].errors
    retinoid = PlannedTreatment.objects.get(treatment__code="topical_retinoid")
    assert (retinoid.sessions, retinoid.review_on) == (None, date(2027, 1, 25))
    assert "Used at home: no sessions at the clinic." in html
    record = dermatologist_client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert "Topical retinoid</strong>: at home, no sessions at the clinic, from 2 Nov 2026" in (
        record
    )
    assert "review on Mon 25 Jan 2027" in record


def _retinoid_reviewed_on(dermatologist, day):
    planned = make_course(dermatologist, code="topical_retinoid", patient=make_patient(),
                          signed=False)  # fmt: skip
    planned.treatment_sessions.all().delete()
    PlannedTreatment.objects.filter(pk=planned.pk).update(sessions=None, review_on=day)
    from tests.factories import sign

    sign(planned.plan.consultation)
    return planned


def test_today_session_list_and_patient_show_a_retinoid_review_not_a_session(
    staff_client, dermatologist
):
    today = timezone.localdate()
    planned = _retinoid_reviewed_on(dermatologist, today)
    patient = planned.plan.consultation.patient

    today_html = staff_client.get("/today/").content.decode()
    list_html = staff_client.get("/sessions/").content.decode()

    assert "Home treatment reviews today" in today_html
    assert patient.full_name in today_html and "No sessions today." in today_html
    assert "review of topical retinoid used at home" in list_html
    patient_html = staff_client.get(f"/patients/{patient.pk}/").content.decode()
    assert f'<span class="review-date">{today:%a} {today.day} {today:%b %Y}</span>' in patient_html
    assert [row.count("<td") for row in _rows(list_html)] == [1]  # "No sessions from today on."


def test_aftercare_sheet_of_a_retinoid_gives_its_review_as_the_next_visit(
    staff_client, dermatologist
):
    planned = _retinoid_reviewed_on(dermatologist, date(2027, 3, 1))

    html = staff_client.get(f"/planned/{planned.pk}/aftercare/").content.decode()

    assert (
        '<dt>Next visit</dt><dd class="fact-strong">Monday 1 March 2027: a check-up to see how '
        "the treatment is working.</dd>"
    ) in html


# --- One course description ---------------------------------------------------------------------


def test_options_and_plan_form_give_the_same_course_description(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist, recurrent=True)
    make_site(consultation, location="cheek", side="left", count=20)

    options = dermatologist_client.get(f"/consultations/{consultation.pk}/").content.decode()
    plan = dermatologist_client.get(f"/consultations/{consultation.pk}/plan/").content.decode()

    for code in ("chemical_peel", "topical_retinoid"):
        line = f"Course: {display.course_description(code, COURSES[code])}"
        assert (line in options, line in plan) == (True, True), code
    assert display.course_description("topical_retinoid", COURSES["topical_retinoid"]) == (
        "Applied at home at night, a few nights a week at first, more often as the skin "
        "tolerates it; results build over several months. No sessions at the clinic: a review "
        "after 12 weeks."
    )


def test_staff_user_of_another_role_cannot_undo(client, dermatologist, staff):
    first = session(peel_course(dermatologist), 1)
    services.session_mark_done(session=first, on=timezone.localdate(), by=staff)
    client.force_login(make_user("admin.z", roles.CLINIC_ADMIN, is_staff=True))

    response = client.post(f"/sessions/{first.pk}/undo/")

    assert response.status_code == 403
    assert Session.objects.get(pk=first.pk).is_done is True
