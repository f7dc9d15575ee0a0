"""The data of an aftercare sheet and a handout: every text resolved from the record and the
catalogue, the session and the next one, the sites in words, readability, and query counts."""

from datetime import timedelta

import pytest
import textstat
from django.utils import timezone

from tests.factories import make_course, make_patient, sign
from treatments import aftercare, services
from treatments.aftercare import AftercareSheet, HandoutSheet
from treatments.models import Handout, LesionSite, Session, Treatment

pytestmark = pytest.mark.django_db

FOREHEAD = (("forehead", "midline"),)
PATIENT_TEXT_FIELDS = ("patient_what_was_done", "patient_what_to_expect")
PATIENT_LIST_FIELDS = ("patient_do", "patient_dont", "patient_call_us")
# Patients read what we give them at a US school grade of 8 or lower (Flesch-Kincaid).
PATIENT_READING_GRADE = 8


def fetched(planned):
    return aftercare.sheet_queryset().get(pk=planned.pk)


def long_date(day):
    return aftercare.long_date(day)


def fk_grade(text):
    try:
        return textstat.flesch_kincaid_grade(text)
    except LookupError as error:  # textstat >= 0.7.9 fetches NLTK's cmudict at first use
        pytest.fail(f"textstat cannot count syllables offline; pin textstat==0.7.8 ({error})")


# --- Sites in words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sites", "expected"),
    [
        ((), ""),
        ((("eyelid", "left"),), "left eyelid"),
        ((("eyelid", "left"), ("forehead", "midline")), "left eyelid and forehead"),
        (
            (("cheek", "bilateral"), ("nose", "midline"), ("forehead", "midline")),
            "cheek (both sides), nose and forehead",
        ),
        (
            (("perioral", "midline"), ("periorbital", "right")),
            "perioral area and right periorbital area",
        ),
    ],
)
def test_sites_in_words_joins_the_sites_in_lower_case(sites, expected):
    objects = [LesionSite(location=location, side=side) for location, side in sites]

    assert aftercare.sites_in_words(objects) == expected


def test_lines_keeps_one_point_per_line_without_blank_lines():
    assert aftercare.lines("  Use sunscreen. \r\n\r\nDo not pick.\n") == (
        "Use sunscreen.",
        "Do not pick.",
    )


def test_paragraphs_split_on_blank_lines_and_join_wrapped_lines():
    text = "Milia are tiny.\nThey are white.\r\n\r\nDo not squeeze them.\n\n\n"

    assert aftercare.paragraphs(text) == ("Milia are tiny. They are white.", "Do not squeeze them.")


# --- One sheet --------------------------------------------------------------------------------


def test_sheet_for_resolves_every_text_from_the_record_and_the_catalogue(dermatologist, settings):
    settings.CLINIC_NAME, settings.CLINIC_PHONE = "Skin Clinic", "020 7946 0000"
    patient = make_patient(given_name="Iris", family_name="Walker", medical_record_number="R-1")
    planned = make_course(
        dermatologist, patient=patient, sites=(("eyelid", "left"), ("forehead", "midline"))
    )
    treatment = planned.treatment
    planned = fetched(planned)

    sheet = aftercare.sheet_for(planned, planned.treatment_sessions.get())

    assert sheet == AftercareSheet(
        clinic_name="Skin Clinic",
        clinic_phone="020 7946 0000",
        patient_name="Iris Walker",
        record_number="R-1",
        date=long_date(timezone.localdate()),
        treatment_code="cryotherapy",
        treatment_name="Freezing treatment (cryotherapy)",
        sites="left eyelid and forehead",
        session_text="Session 1 of 1",
        next_session="No further session is planned.",
        what_was_done=treatment.patient_what_was_done,
        what_to_expect=treatment.patient_what_to_expect,
        do=tuple(treatment.patient_do.split("\n")),
        dont=tuple(treatment.patient_dont.split("\n")),
        call_us=tuple(treatment.patient_call_us.split("\n")),
        diagnosis="Milia (diagnosis code L72.0)",
    )


def test_sheet_for_shows_the_clinics_edit_of_a_catalogue_text(dermatologist):
    Treatment.objects.filter(code="cryotherapy").update(
        patient_do="Keep the spot clean.\nUse sunscreen on it every day."
    )
    planned = fetched(make_course(dermatologist))

    sheet = aftercare.sheet_for(planned, aftercare.session_of(planned, None))

    assert sheet.do == ("Keep the spot clean.", "Use sunscreen on it every day.")


def test_sheet_for_session_two_of_five_gives_the_date_of_session_three(dermatologist):
    started = timezone.localdate() - timedelta(weeks=3)
    planned = make_course(
        dermatologist, code="chemical_peel", sessions=5, interval_weeks=3, starts_on=started
    )
    second = planned.treatment_sessions.get(number=2)
    planned = fetched(planned)

    sheet = aftercare.sheet_for(planned, second)

    assert (sheet.date, sheet.session_text, sheet.next_session) == (
        long_date(timezone.localdate()),
        "Session 2 of 5",
        long_date(started + timedelta(weeks=6)),
    )


def test_sheet_for_the_last_session_says_no_further_session_is_planned(dermatologist):
    planned = make_course(dermatologist, code="chemical_peel", sessions=2, interval_weeks=3)
    last = planned.treatment_sessions.get(number=2)

    sheet = aftercare.sheet_for(fetched(planned), last)

    assert (sheet.session_text, sheet.next_session) == (
        "Session 2 of 2",
        "No further session is planned.",
    )


def test_sheet_for_a_next_session_without_a_date_asks_to_book_it(dermatologist):
    # Without an interval only the first session is dated when the plan is signed.
    planned = make_course(dermatologist, code="extraction", sessions=2, interval_weeks=None)

    sheet = aftercare.sheet_for(fetched(planned), planned.treatment_sessions.get(number=1))

    assert sheet.next_session == "Not booked yet. Please call us to book it."


def test_sheet_for_skips_a_later_session_already_done(dermatologist, staff):
    planned = make_course(dermatologist, code="chemical_peel", sessions=3, interval_weeks=2)
    services.session_mark_done(
        session=planned.treatment_sessions.get(number=2),
        on=timezone.localdate(),
        by=staff,
        reason="Both sites treated at the first visit.",
    )

    sheet = aftercare.sheet_for(fetched(planned), planned.treatment_sessions.get(number=1))

    assert sheet.next_session == long_date(timezone.localdate() + timedelta(weeks=4))


def test_sheet_for_no_session_prints_the_plan_without_a_series(dermatologist):
    planned = make_course(dermatologist, sessions=1, signed=False)
    Session.objects.filter(planned_treatment=planned).delete()
    sign(planned.plan.consultation)

    sheet = aftercare.sheet_for(fetched(planned), None)

    assert (sheet.session_text, sheet.next_session) == ("", "No further session is planned.")


# --- Which session a sheet is for --------------------------------------------------------------


def test_session_of_defaults_to_the_first_session_not_done(dermatologist, staff):
    planned = make_course(dermatologist, code="chemical_peel", sessions=3, interval_weeks=2)
    services.session_mark_done(
        session=planned.treatment_sessions.get(number=1), on=timezone.localdate(), by=staff
    )

    session = aftercare.session_of(fetched(planned), None)

    assert session.number == 2


def test_session_of_defaults_to_the_last_session_when_all_are_done(dermatologist, staff):
    planned = make_course(dermatologist, code="chemical_peel", sessions=2, interval_weeks=2)
    for session in planned.treatment_sessions.all():
        services.session_mark_done(
            session=session, on=timezone.localdate(), by=staff, reason="Brought forward."
        )

    session = aftercare.session_of(fetched(planned), None)

    assert session.number == 2


def test_session_of_gives_the_session_asked_for(dermatologist):
    planned = make_course(dermatologist, code="chemical_peel", sessions=3, interval_weeks=2)
    third = planned.treatment_sessions.get(number=3)

    assert aftercare.session_of(fetched(planned), third.pk) == third


def test_session_of_refuses_a_session_of_another_treatment(dermatologist):
    planned = make_course(dermatologist)
    other = make_course(dermatologist).treatment_sessions.get()

    with pytest.raises(Session.DoesNotExist):
        aftercare.session_of(fetched(planned), other.pk)


def test_sheet_queryset_leaves_out_plans_not_signed(dermatologist):
    draft = make_course(dermatologist, signed=False)

    assert aftercare.sheet_queryset().filter(pk=draft.pk).exists() is False


# --- The day's sessions -----------------------------------------------------------------------


def test_sessions_scheduled_on_lists_the_days_signed_sessions_done_or_not_by_patient(
    dermatologist, staff
):
    today = timezone.localdate()
    zoe = make_course(dermatologist, patient=make_patient(given_name="Zoë", family_name="Young"))
    abe = make_course(dermatologist, patient=make_patient(given_name="Abe", family_name="Adams"))
    make_course(dermatologist, signed=False)  # a draft: not scheduled yet
    make_course(dermatologist, starts_on=today + timedelta(days=1))  # tomorrow
    services.session_mark_done(
        session=zoe.treatment_sessions.get(), on=timezone.localdate(), by=staff
    )

    sessions = Session.objects.scheduled_on(today)

    assert [(s.planned_treatment_id, s.is_done) for s in sessions] == [
        (abe.pk, False),
        (zoe.pk, True),
    ]


def test_sheets_for_sessions_gives_one_sheet_per_session_in_order(dermatologist):
    for family in ("Brown", "Adams", "Clark"):
        make_course(dermatologist, patient=make_patient(family_name=family))

    sheets = aftercare.sheets_for_sessions(Session.objects.scheduled_on())

    assert [sheet.patient_name for sheet in sheets] == ["Ada Adams", "Ada Brown", "Ada Clark"]


def test_with_handout_puts_the_handout_after_each_patients_sheet(dermatologist):
    make_course(dermatologist)
    make_course(dermatologist)
    sheets = aftercare.sheets_for_sessions(Session.objects.scheduled_on())
    handout = aftercare.handout_sheet(Handout.objects.get(slug=aftercare.WHY_NOT_AT_HOME))

    pages = aftercare.with_handout(sheets, handout)

    assert pages == [sheets[0], handout, sheets[1], handout]


def test_with_handout_gives_a_patient_with_two_treatments_the_handout_once(dermatologist):
    adams, brown = make_patient(family_name="Adams"), make_patient(family_name="Brown")
    make_course(dermatologist, patient=adams, code="cryotherapy")
    make_course(dermatologist, patient=adams, code="extraction")
    make_course(dermatologist, patient=brown, code="extraction")
    sheets = aftercare.sheets_for_sessions(Session.objects.scheduled_on())
    handout = aftercare.handout_sheet(Handout.objects.get(slug=aftercare.WHY_NOT_AT_HOME))

    pages = aftercare.with_handout(sheets, handout)

    assert [page.patient_name if page is not handout else "handout" for page in pages] == [
        "Ada Adams",
        "Ada Adams",
        "handout",
        "Ada Brown",
        "handout",
    ]


# --- The handout ------------------------------------------------------------------------------


def test_handout_sheet_holds_the_title_and_paragraphs_from_the_catalogue(settings):
    settings.CLINIC_NAME, settings.CLINIC_PHONE = "Skin Clinic", "020 7946 0000"
    handout = Handout.objects.get(slug=aftercare.WHY_NOT_AT_HOME)

    sheet = aftercare.handout_sheet(handout)

    assert sheet == HandoutSheet(
        clinic_name="Skin Clinic",
        clinic_phone="020 7946 0000",
        title="Why milia should not be squeezed at home",
        paragraphs=tuple(handout.body.split("\n\n")),
    )


# --- Reading grade of what patients read -------------------------------------------------------


def _patient_texts():
    for treatment in Treatment.objects.order_by("display_order"):
        for field in PATIENT_TEXT_FIELDS:
            yield f"{treatment.code}.{field}", getattr(treatment, field)
        for field in PATIENT_LIST_FIELDS:
            yield f"{treatment.code}.{field}", " ".join(aftercare.lines(getattr(treatment, field)))
    for handout in Handout.objects.all():
        yield f"handout.{handout.slug}", " ".join(aftercare.paragraphs(handout.body))


def test_every_patient_text_in_the_database_reads_at_grade_8_or_lower():
    grades = {name: fk_grade(text) for name, text in _patient_texts()}

    too_hard = {name: grade for name, grade in grades.items() if grade > PATIENT_READING_GRADE}
    assert (len(grades), too_hard) == (26, {})


@pytest.mark.parametrize(
    "code", ["extraction", "chemical_peel", "topical_retinoid", "cryotherapy", "co2_laser"]
)
def test_a_whole_sheet_reads_at_grade_8_or_lower(dermatologist, code):
    planned = fetched(make_course(dermatologist, code=code))
    sheet = aftercare.sheet_for(planned, aftercare.session_of(planned, None))

    assert fk_grade(sheet.patient_text) <= PATIENT_READING_GRADE


# --- Queries ----------------------------------------------------------------------------------


def _sheet(planned_pk):
    planned = aftercare.sheet_queryset().get(pk=planned_pk)
    return aftercare.sheet_for(planned, aftercare.session_of(planned, None))


def test_one_sheet_costs_three_queries_whatever_the_sites_and_sessions(
    dermatologist, django_assert_num_queries
):
    small = make_course(dermatologist)
    large = make_course(
        dermatologist,
        code="chemical_peel",
        sessions=5,
        interval_weeks=3,
        sites=(("cheek", "left"), ("cheek", "right"), ("nose", "midline"), ("chin", "midline")),
    )

    for planned in (small, large):
        with django_assert_num_queries(3):
            _sheet(planned.pk)


def _todays_sheets():
    return aftercare.sheets_for_sessions(Session.objects.scheduled_on())


def test_a_days_sheets_cost_three_queries_whatever_the_number_of_sessions(
    dermatologist, django_assert_num_queries
):
    make_course(dermatologist)
    with django_assert_num_queries(3):
        one = _todays_sheets()
    for code in ("extraction", "chemical_peel", "topical_retinoid", "co2_laser"):
        make_course(dermatologist, code=code, sites=(("cheek", "left"), ("nose", "midline")))
    with django_assert_num_queries(3):
        five = _todays_sheets()

    assert [len(one), len(five)] == [1, 5]
