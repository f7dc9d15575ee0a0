"""The dates and numbers the hot pages print ready (treatments.dates, outcomes.one_decimal) are
what Django's filters printed in their place."""

from datetime import date, timedelta

import pytest
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils import translation

from treatments import dates, outcomes

EVERY_DAY = [date(2027, 1, 1) + timedelta(days=n) for n in range(366)] + [
    date(1, 1, 1), date(999, 12, 31), date(9999, 12, 31), date(2028, 2, 29)
]  # fmt: skip


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en-gb"):
        yield


def test_day_as_the_date_filter():
    assert [dates.day(on) for on in EVERY_DAY] == [date_filter(on, "j M Y") for on in EVERY_DAY]


def test_weekday_as_the_date_filter():
    assert [dates.weekday(on) for on in EVERY_DAY] == [
        date_filter(on, "D j M Y") for on in EVERY_DAY
    ]


def test_day_spelt_out():
    assert dates.day(date(2026, 9, 3)) == "3 Sep 2026"
    assert dates.weekday(date(2026, 9, 3)) == "Thu 3 Sep 2026"


# Halves at the second decimal (which Python's own formatting rounds to even, or by the binary
# value), the charts' coordinates over many spans, whole numbers.
VALUES = [0.25, 0.35, 12.35, 48.85, 2.675, 1.05, 99.95, 116.0, 46, 0, 0.04999, 1e-7] + [
    46 + 228 * day / span for span in range(1, 120) for day in range(span + 1)
]


def test_one_decimal_as_floatformat():
    assert [outcomes.one_decimal(v) for v in VALUES] == [floatformat(v, 1) for v in VALUES]


def test_one_decimal_rounds_half_up():
    assert (outcomes.one_decimal(12.35), f"{12.35:.1f}") == ("12.4", "12.3")
    assert outcomes.one_decimal(46) == "46.0"
