"""Benchmark of the aftercare PDFs: one sheet, and a day of 20 sheets (not a test).

Run from the repository root:

    DJANGO_SECRET_KEY=x .venv/bin/python bench/bench_pdf.py [--repeat R]

It creates a throw-away test database (SQLite in memory unless DATABASE_URL says otherwise),
fills it with 20 signed plans that each have a session today, and times the whole path of the
views: the query, the sheet data, the template and WeasyPrint. Prints the median and best of R
timings. Targets: one sheet under 300 ms, a batch of 20 under 4 s.
"""

import argparse
import logging
import os
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "milia_clinic.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

TARGET_ONE_MS = 300.0
TARGET_BATCH_MS = 4000.0
BATCH = 20
# (treatment, sites, sessions, interval in weeks): the five treatments, the longest texts included.
PLANS = (
    ("topical_retinoid", [("cheek", "bilateral"), ("nose", "midline"), ("forehead", "midline")],
     1, None),
    ("extraction", [("eyelid", "left"), ("forehead", "midline")], 1, None),
    ("chemical_peel", [("cheek", "bilateral")], 5, 3),
    ("cryotherapy", [("forehead", "midline")], 1, None),
    ("co2_laser", [("chin", "midline")], 1, None),
)  # fmt: skip
NAMES = ("Amelia Hart", "Zoë Łukasiewicz", "Ελένη Παπαδοπούλου", "王 小明", "Kwame Mensah")


def make_day(count: int) -> None:
    """``count`` patients with a signed plan and a session today, cycling through PLANS."""
    from treatments.models import (
        Consultation,
        LesionSite,
        Patient,
        Plan,
        PlannedTreatment,
        Session,
        Treatment,
    )

    clinician = get_user_model().objects.create_user("bench.derm", password="not-used-bench")
    treatments = Treatment.objects.in_bulk(field_name="code")
    today = timezone.localdate()
    for index in range(count):
        code, sites, sessions, interval = PLANS[index % len(PLANS)]
        given, family = NAMES[index % len(NAMES)].split(" ", 1)
        patient = Patient.objects.create(
            medical_record_number=f"BENCH-{index:04d}",
            given_name=given,
            family_name=family,
            date_of_birth=date(1980, 1, 1),
        )
        # Built as a draft, then signed: nothing may be added under a signed consultation.
        consultation = Consultation.objects.create(patient=patient, clinician=clinician)
        plan = Plan.objects.create(consultation=consultation, created_by=clinician)
        planned = PlannedTreatment.objects.create(
            plan=plan, treatment=treatments[code], sessions=sessions, interval_weeks=interval
        )
        for location, side in sites:
            planned.sites.add(
                LesionSite.objects.create(
                    consultation=consultation,
                    location=location,
                    side=side,
                    count=3,
                    largest_mm=Decimal("1.0"),
                    months_present=6,
                )
            )
        for number in range(1, sessions + 1):
            Session.objects.create(
                planned_treatment=planned,
                number=number,
                scheduled_for=today + timedelta(weeks=(interval or 0) * (number - 1)),
            )
        Consultation.objects.filter(pk=consultation.pk).update(
            status="signed", signed_at=timezone.now()
        )


def measure(label: str, func, repeat: int, target_ms: float) -> float:
    func()  # warm up: fonts, templates, the parsed stylesheet
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        timings.append((time.perf_counter() - start) * 1000)
    median, best = statistics.median(timings), min(timings)
    verdict = "OK" if median < target_ms else "TOO SLOW"
    print(
        f"{label:<28} median {median:8.1f} ms   best {best:8.1f} ms   "
        f"({repeat} runs; target < {target_ms:.0f} ms: {verdict})"
    )
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timings of each")
    args = parser.parse_args()

    from treatments import aftercare, printing
    from treatments.models import Session

    # WeasyPrint logs each layout step at INFO; the console would time the logging.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        make_day(BATCH)
        first = aftercare.sheet_queryset().order_by("id").first()

        def one_sheet():
            planned = aftercare.sheet_queryset().get(pk=first.pk)
            sheet = aftercare.sheet_for(planned, aftercare.session_of(planned, None))
            return printing.render_pdf([sheet])

        def batch():
            sessions = Session.objects.scheduled_on()
            return printing.render_pdf(aftercare.sheets_for_sessions(sessions))

        import weasyprint

        print(
            f"Python {sys.version.split()[0]}, WeasyPrint {weasyprint.__version__}, "
            f"{connection.vendor}; {os.cpu_count()} CPUs"
        )
        one = measure("one sheet PDF", one_sheet, args.repeat, TARGET_ONE_MS)
        many = measure(f"batch of {BATCH} sheets PDF", batch, args.repeat, TARGET_BATCH_MS)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0 if one < TARGET_ONE_MS and many < TARGET_BATCH_MS else 1


if __name__ == "__main__":
    sys.exit(main())
