"""treatments.planning's dates: open days, a course's sessions, a home treatment's review, and
when marking a session done needs a reason. Pure: no database, no clock."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatments.planning import (
    MONDAY_TO_FRIDAY,
    is_home_treatment,
    mark_done_concerns,
    next_open_day,
    review_date,
    session_dates,
)
from treatments.rules import TREATMENTS

FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)
SUNDAY = date(2026, 12, 6)
MONDAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("day", "expected"),
    [(FRIDAY, FRIDAY), (SATURDAY, MONDAY), (SUNDAY, MONDAY), (MONDAY, MONDAY)],
)
def test_next_open_day_is_the_day_itself_or_the_next_weekday(day, expected):
    assert next_open_day(day, MONDAY_TO_FRIDAY) == expected


def test_next_open_day_refuses_a_clinic_never_open():
    with pytest.raises(ValueError, match="open on at least one day"):
        next_open_day(MONDAY, frozenset())


def test_session_dates_move_a_closed_day_to_the_next_open_one_and_keep_the_interval():
    # From a Saturday, weekly: Monday, then a week after each.
    assert session_dates(SATURDAY, 3, 1, MONDAY_TO_FRIDAY) == [
        MONDAY,
        MONDAY + timedelta(weeks=1),
        MONDAY + timedelta(weeks=2),
    ]


def test_session_dates_of_a_clinic_open_on_saturday_keep_saturday():
    open_days = MONDAY_TO_FRIDAY | {5}

    assert session_dates(SATURDAY, 2, 3, open_days) == [SATURDAY, SATURDAY + timedelta(weeks=3)]


def test_session_dates_without_an_interval_date_only_the_first():
    assert session_dates(SUNDAY, 3, None, MONDAY_TO_FRIDAY) == [MONDAY, None, None]


def test_session_dates_without_a_start_date_none():
    assert session_dates(None, 2, 4, MONDAY_TO_FRIDAY) == [None, None]


open_days = st.sets(st.integers(min_value=0, max_value=6), min_size=1).map(frozenset)


@settings(max_examples=300, deadline=None)
@given(
    starts_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    sessions=st.integers(min_value=1, max_value=12),
    interval_weeks=st.integers(min_value=1, max_value=52),
    open_days=open_days,
)
def test_session_dates_never_fall_on_a_closed_day_nor_closer_than_the_interval(
    starts_on, sessions, interval_weeks, open_days
):
    dates = session_dates(starts_on, sessions, interval_weeks, open_days)

    assert len(dates) == sessions
    assert all(day.weekday() in open_days for day in dates)
    assert starts_on <= dates[0] < starts_on + timedelta(days=7)
    gaps = [later - earlier for earlier, later in zip(dates, dates[1:], strict=False)]
    # Never closer together than the planned interval, and never more than a week later.
    assert all(
        timedelta(weeks=interval_weeks) <= gap < timedelta(weeks=interval_weeks, days=7)
        for gap in gaps
    )


def test_only_the_retinoid_is_a_home_treatment():
    assert [code for code in TREATMENTS if is_home_treatment(code)] == ["topical_retinoid"]


def test_review_date_of_a_retinoid_is_twelve_weeks_on_at_the_next_open_day():
    # 12 weeks after Saturday 5 Dec 2026 is Saturday 27 Feb 2027: the review is on Monday.
    assert review_date("topical_retinoid", SATURDAY, MONDAY_TO_FRIDAY) == date(2027, 3, 1)


def test_review_date_of_a_procedure_is_none():
    assert review_date("chemical_peel", MONDAY, MONDAY_TO_FRIDAY) is None


def test_mark_done_concerns_none_on_or_after_the_date_in_order():
    assert mark_done_concerns(number=2, scheduled_for=MONDAY, on=MONDAY, earlier_not_done=[]) == []
    assert (
        mark_done_concerns(
            number=1, scheduled_for=MONDAY, on=date(2026, 12, 20), earlier_not_done=[]
        )
        == []
    )


def test_mark_done_concerns_name_an_early_date_and_the_sessions_not_done_before():
    concerns = mark_done_concerns(
        number=3, scheduled_for=date(2027, 1, 18), on=MONDAY, earlier_not_done=[2, 1]
    )

    assert concerns == [
        "it is planned for Mon 18 Jan 2027, after today",
        "sessions 1 and 2 of this course are not done yet",
    ]


def test_mark_done_concerns_of_an_undated_session_only_the_order():
    assert mark_done_concerns(number=2, scheduled_for=None, on=MONDAY, earlier_not_done=[1]) == [
        "session 1 of this course is not done yet"
    ]
