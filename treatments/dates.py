"""Dates as the pages print them, in plain Python (no Django: an import-linter contract).

Django's ``date`` filter is among the costliest things a template does, and the hot pages print
many dates (issue 14): their view-models carry them ready. The words are English, as the app is
(LANGUAGE_CODE en-gb); tests/test_dates.py checks them against Django's filter.
"""

from datetime import date

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day(on: date) -> str:
    """``on`` as ``date:"j M Y"`` prints it: "3 Mar 2026"."""
    return f"{on.day} {MONTHS[on.month - 1]} {on.year:04d}"


def weekday(on: date) -> str:
    """``on`` as ``date:"D j M Y"`` prints it: "Tue 3 Mar 2026"."""
    return f"{WEEKDAYS[on.weekday()]} {day(on)}"
