"""A long sign held open in a loop, for `make bench`'s "audited page while a long sign runs".

Run by bench/run_bench.py as a process of its own (the environment of the benchmark server):
each round builds a draft consultation with a plan of 250 sessions, signs it through
``services.consultation_sign`` (which schedules the sessions and records every change in the
audit trail, holding the trail's lock until it commits) and rolls the whole round back, so the
data set never changes. It stops after ``--seconds`` and prints one line: ``LONG_SIGN {json}``
with the rounds and their mean duration.
"""

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SESSIONS = 250


class _RollBack(Exception):
    """Leaves the round's transaction so that it rolls back."""


def one_round(patient, clinician, treatment) -> None:
    from django.db import transaction
    from django.utils import timezone

    from treatments import services
    from treatments.models import Consultation, LesionSite, Plan, PlannedTreatment

    try:
        with transaction.atomic():
            consultation = Consultation.objects.create(
                patient=patient, clinician=clinician, date=timezone.localdate()
            )
            site = LesionSite.objects.create(
                consultation=consultation,
                location="cheek",
                side="left",
                count=3,
                largest_mm=2,
                months_present=6,
            )
            plan = Plan.objects.create(consultation=consultation, created_by=clinician)
            planned = PlannedTreatment.objects.create(
                plan=plan,
                treatment=treatment,
                sessions=SESSIONS,
                interval_weeks=1,
                starts_on=timezone.localdate() + timedelta(days=1),
                override_reason="Benchmark: a long plan.",
            )
            planned.sites.set([site])
            services.consultation_sign(consultation=consultation, user=clinician)
            raise _RollBack
    except _RollBack:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, required=True)
    options = parser.parse_args()
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from bench import load_data
    from treatments.models import Patient, Treatment

    clinician = get_user_model().objects.get(username=load_data.DERMATOLOGIST)
    patient = Patient.objects.filter(family_name=load_data.KNOWN_FAMILY_NAME).order_by("id")[2]
    treatment = Treatment.objects.get(code="topical_retinoid")
    rounds, spent = 0, 0.0
    deadline = time.monotonic() + options.seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        one_round(patient, clinician, treatment)
        spent += time.perf_counter() - started
        rounds += 1
    mean_ms = spent * 1000 / rounds if rounds else None
    print("LONG_SIGN " + json.dumps({"rounds": rounds, "mean_ms": mean_ms}), flush=True)


if __name__ == "__main__":
    main()
