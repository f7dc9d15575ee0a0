"""Load demo users (one per role) and a handful of demo patients. Safe to run again."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from treatments import roles
from treatments.models import Consultation, Patient, Session
from treatments.services import (
    PlanChoice,
    consultation_create,
    consultation_sign,
    consultation_update,
    follow_up_start,
    patient_save,
    plan_save,
    site_outcome_record,
    site_save,
)

# Demo-only credentials, printed by `make run` and listed in the README. Never in production.
DEMO_USERS = (
    ("dermatologist", "demo-derm-2026", "Dana", "Reyes", roles.DERMATOLOGIST),
    ("staff", "demo-staff-2026", "Sam", "Okafor", roles.CLINIC_STAFF),
    ("admin", "demo-admin-2026", "Alex", "Moreau", roles.CLINIC_ADMIN),
)

# (record number, given, family, age in days, sex, fitzpatrick, flags, milia type, recurrent,
#  sites: (location, side, count, largest_mm, depth, months, tried))
DEMO_PATIENTS = (
    ("DEMO-0001", "Amelia", "Hart", 34 * 365, "female", 2, {}, "primary", False,
     [("eyelid", "left", 4, "1.0", "superficial", 3, [])]),
    ("DEMO-0002", "Kwame", "Mensah", 41 * 365, "male", 5, {}, "primary", False,
     [("forehead", "midline", 1, "4.0", "superficial", 36, [("extraction", False)])]),
    ("DEMO-0003", "Sofia", "Rossi", 29 * 365, "female", 3, {"pregnant": True}, "primary", True,
     [("cheek", "bilateral", 12, "1.0", "superficial", 8, []),
      ("nose", "midline", 6, "0.8", "superficial", 8, []),
      ("forehead", "midline", 7, "1.0", "superficial", 8, [])]),
    ("DEMO-0004", "Noah", "Clarke", 21, "male", None, {}, "neonatal", False,
     [("nose", "midline", 15, "1.0", "superficial", 0, [])]),
    ("DEMO-0005", "Mei", "Chen", 52 * 365, "female", 3, {"herpes_simplex_history": True},
     "secondary", False,
     [("cheek", "right", 8, "2.0", "deep", 14, [("extraction", False)])]),
    # Eyelids beside forehead and cheeks: what the rules allow differs site by site (freezing
    # suits the forehead's lasting milium that extraction did not clear, never the eyelids).
    ("DEMO-0006", "Lena", "Novak", 45 * 365, "female", 4, {"keloid_tendency": True}, "primary",
     False,
     [("eyelid", "left", 3, "1.0", "superficial", 5, []),
      ("eyelid", "right", 2, "1.0", "superficial", 5, []),
      ("forehead", "midline", 4, "3.5", "superficial", 14, [("extraction", False)]),
      ("cheek", "bilateral", 6, "1.0", "superficial", 5, [])]),
)  # fmt: skip

# A patient followed over three visits with chemical peels, so the patient page's outcomes show
# something: (days ago, {site: count, or 0 when cleared}, peel sessions planned then).
FOLLOWED_PATIENT = ("DEMO-0007", "Ines", "Duarte", 38 * 365, "female", 2)
FOLLOWED_VISITS = (
    (112, {("cheek", "bilateral"): 14, ("forehead", "midline"): 9}, 3),
    (49, {("cheek", "bilateral"): 5, ("forehead", "midline"): 4}, 2),
    (0, {("cheek", "bilateral"): 0, ("forehead", "midline"): 1}, 0),
)
PEEL_INTERVAL_WEEKS = 3


class Command(BaseCommand):
    help = "Create demo users (one per role) and demo patients; running it again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even when DEBUG is off (demo passwords are public: never in production).",
        )

    @transaction.atomic
    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to create demo users with public passwords while DEBUG is off. "
                "Pass --allow-production only on a throw-away demo server."
            )
        users = self._create_users()
        created = self._create_patients(clinician=users["dermatologist"])
        if created:
            self._sign_a_plan(clinician=users["dermatologist"])
        if not Patient.objects.filter(medical_record_number=FOLLOWED_PATIENT[0]).exists():
            self._follow_a_patient(clinician=users["dermatologist"])
        self.stdout.write(f"Demo patients: {created} created, {len(DEMO_PATIENTS) - created} kept.")
        self.stdout.write("Demo users (demo only, public passwords):")
        for username, password, *_rest, role in DEMO_USERS:
            self.stdout.write(f"  {role:<14} username {username:<14} password {password}")

    def _create_users(self):
        User = get_user_model()
        users = {}
        for username, password, first, last, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(password)
                user.is_staff = role == roles.CLINIC_ADMIN
                user.save()
            user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    def _sign_a_plan(self, *, clinician):
        """Kwame Mensah's forehead milium: cryotherapy today (or the next day the clinic is
        open), so staff have a session to see."""
        consultation = Consultation.objects.get(patient__medical_record_number="DEMO-0002")
        if consultation.is_signed:
            return
        forehead = consultation.sites.get()
        plan_save(
            consultation=consultation,
            user=clinician,
            choices=[
                PlanChoice(
                    treatment="cryotherapy",
                    site_ids=(forehead.pk,),
                    sessions=1,
                    interval_weeks=None,
                    starts_on=timezone.localdate(),
                )
            ],
            version=None,
        )
        consultation_sign(consultation=consultation, user=clinician)

    def _create_patients(self, *, clinician):
        today = timezone.localdate()
        created_count = 0
        for (mrn, given, family, age_days, sex, fitzpatrick, flags, milia_type, recurrent,
             sites) in DEMO_PATIENTS:  # fmt: skip
            if Patient.objects.filter(medical_record_number=mrn).exists():
                continue
            patient = patient_save(
                medical_record_number=mrn,
                given_name=given,
                family_name=family,
                date_of_birth=today - timedelta(days=age_days),
                sex=sex,
                fitzpatrick=fitzpatrick,
                **flags,
            )
            consultation = consultation_create(
                patient=patient,
                clinician=clinician,
                date=today,
                milia_type=milia_type,
                recurrent=recurrent,
            )
            for location, side, count, largest_mm, depth, months, tried in sites:
                site_save(
                    consultation=consultation,
                    version=None,
                    tried=list(tried),
                    location=location,
                    side=side,
                    count=count,
                    largest_mm=Decimal(largest_mm),
                    depth=depth,
                    months_present=months,
                )
            created_count += 1
        return created_count

    def _follow_a_patient(self, *, clinician):
        """Ines Duarte, seen three times: peels at her cheeks and forehead, which improved and
        then cleared at the cheeks (``FOLLOWED_VISITS``)."""
        today = timezone.localdate()
        mrn, given, family, age_days, sex, fitzpatrick = FOLLOWED_PATIENT
        patient = patient_save(
            medical_record_number=mrn,
            given_name=given,
            family_name=family,
            date_of_birth=today - timedelta(days=age_days),
            sex=sex,
            fitzpatrick=fitzpatrick,
        )
        consultation = None
        for days_ago, counts, peels in FOLLOWED_VISITS:
            on = today - timedelta(days=days_ago)
            if consultation is None:
                consultation = consultation_create(patient=patient, clinician=clinician, date=on)
                for (location, side), count in counts.items():
                    self._chart_site(consultation, location, side, count)
            else:
                consultation = follow_up_start(consultation=consultation, clinician=clinician)
                consultation = consultation_update(
                    consultation_id=consultation.pk, version=None, date=on
                )
                for carried in consultation.site_outcomes.select_related("previous_site"):
                    count = counts[(carried.previous_site.location, carried.previous_site.side)]
                    site_outcome_record(
                        site_outcome=carried,
                        version=None,
                        outcome="cleared" if count == 0 else "improved",
                        outcome_on=on,
                        treatment_ids=[p.pk for p in carried.treatments.all()],
                        **({} if count == 0 else self._site_fields(count)),
                    )
            if peels:
                plan_save(
                    consultation=consultation,
                    user=clinician,
                    choices=[
                        PlanChoice(
                            treatment="chemical_peel",
                            site_ids=tuple(consultation.sites.values_list("pk", flat=True)),
                            sessions=peels,
                            interval_weeks=PEEL_INTERVAL_WEEKS,
                            starts_on=on,
                            override_reason="Continuing the course of peels, which is working.",
                        )
                    ],
                    version=None,
                )
            consultation_sign(consultation=consultation, user=clinician)
            consultation.refresh_from_db()
            # Every session of the course took place on its day.
            for session in Session.objects.filter(
                planned_treatment__plan__consultation=consultation
            ):
                session.done_at = timezone.make_aware(
                    datetime.combine(session.scheduled_for, time(10))
                )
                session.done_by = clinician
                session.save(update_fields=["done_at", "done_by"])

    @staticmethod
    def _site_fields(count):
        return {
            "count": count,
            "largest_mm": Decimal("1.0"),
            "depth": "superficial",
            "months_present": 6,
            "red_flags": False,
            "active_inflammation": False,
        }

    def _chart_site(self, consultation, location, side, count):
        site_save(
            consultation=consultation,
            version=None,
            location=location,
            side=side,
            **self._site_fields(count),
        )
