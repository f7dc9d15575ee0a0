"""A realistic clinic on PostgreSQL for the benchmark, bulk-loaded with COPY and kept between runs.

`ensure_dataset(size)` runs inside a configured Django process (bench/run_bench.py sets it up
against the benchmark database). It compares the ``bench_dataset`` marker row with the size
asked for and the generator version: when they match it returns at once; otherwise it empties
the clinical tables and loads:

* patients with names drawn from lists, dates of birth 1940-2024, skin type, history flags;
  the first ``KNOWN_PATIENTS`` are called "Benchmark" so the search has a known answer;
* consultations spread over the patients and a dozen dermatologists, dated 2019 to today and
  never before the patient's birth, most of them signed;
* 1 to 20 lesion sites per consultation (mean near 3.3), each a distinct (location, side)
  of the chart's vocabulary, some with treatments already tried;
* the records the benchmark asks for: a draft consultation with exactly 20 sites, and a signed
  one with a planned treatment and its sessions (the aftercare sheet).

Rows are generated in Python while PostgreSQL parses the previous chunk (COPY from a lazy
stream), so both cores work. The generator is seeded: the same size gives the same data.
"""

import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from treatments import roles
from treatments.models import (
    Consultation,
    Depth,
    LesionSite,
    MiliaType,
    Patient,
    Plan,
    PlannedTreatment,
    Session,
    Sex,
    Treatment,
    TreatmentCode,
    TriedTreatment,
)
from treatments.text import search_key

# Bump whenever the generated data changes, so a stored data set is regenerated.
GENERATOR_VERSION = 3
SEED = 20261126

BENCH_PASSWORD = "bench-only-password-2026"  # loopback benchmark only, never a real server
DERMATOLOGIST = "bench.derm"
STAFF = "bench.staff"
OTHER_DERMATOLOGISTS = 11
KNOWN_FAMILY_NAME = "Benchmark"
KNOWN_PATIENTS = 20


@dataclass(frozen=True)
class Size:
    name: str
    patients: int
    consultations: int


SIZES = {
    "full": Size("full", patients=100_000, consultations=300_000),
    "small": Size("small", patients=2_000, consultations=6_000),
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FAMILY_NAMES = _words(
    """
Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson
Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner
Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott
Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson
Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams
Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell
Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens
Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews
Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson
Bradley Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells
Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Jordan Mensah Okafor Nguyen Chen Wang
Kowalski Nowak Rossi Russo Ferrari Garcia Martinez Lopez Gonzalez Rodriguez Fernandez Silva
Santos Pereira Costa Oliveira Muller Schmidt Schneider Fischer Weber Meyer Wagner Becker Dubois
Moreau Laurent Lefebvre Leroy Roux Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau
Vincent Muller-Lang Andersen Nielsen Hansen Johansson Larsson Olsen Berg Haugen Virtanen Korhonen
Yilmaz Kaya Demir Sahin Celik Ozturk Ivanov Petrov Popescu Horvath Novak Kovacs Papadopoulos
Murphy-Byrne Kennedy Doyle McCarthy Gallagher Doherty Quinn Byrne Nolan Reilly Sato Suzuki
Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kim Lee-Park Park Choi Jung Kang Cho Yoon Adeyemi
Okonkwo Nwosu Abubakar Bello Mohammed Hassan Ibrahim Yusuf Osei Boateng Asante Owusu Banda Phiri
"""
)

GIVEN_NAMES = _words(
    """
Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas Henry William
Freddie Alfie Theo Archie Joshua James Olivia Amelia Isla Ava Ivy Freya Lily Florence Mia Willow
Rosie Sophia Isabella Grace Daisy Sienna Poppy Elsie Emily Ella Evelyn Phoebe Sofia Evie Charlotte
Harper Matilda Maya Ruby Alice Aisha Fatima Zainab Maryam Priya Anjali Ravi Arjun Sanjay Deepa
Wei Ming Jing Hui Yan Li Kenji Yuki Hana Sora Min-jun Seo-yeon Ji-woo Kwame Ama Kofi Abena Chidi
Ngozi Emeka Tunde Amara Lucia Mateo Santiago Valentina Camila Diego Sofia Lucas Gabriel Beatriz
Joao Ana Pedro Marta Pierre Camille Louis Manon Hugo Chloe Lukas Anna Felix Lena Jonas Mia-Sophie
Giulia Marco Francesca Luca Chiara Matteo Elena Ivan Olga Dmitri Katarzyna Piotr Agnieszka Tomasz
Mehmet Ayse Mustafa Elif Ahmed Leila Omar Yusuf Nadia Samir Sean Siobhan Ciaran Aoife Niamh Eamon
Margaret Dorothy Joan Barbara Patricia Susan Margaret-Ann Brian David Michael Peter John Robert
Richard Stephen Paul Andrew Mark Ian Gary Alan Colin Kevin Linda Karen Sarah Helen Julie Claire
"""
)

# (location, side) pairs a clinician charts: paired structures on one side or both, midline
# structures in the midline. A consultation's sites are distinct pairs (the model's constraint).
PAIRED = ("eyelid", "periorbital", "temple", "cheek", "ear", "jawline", "arm", "hand", "leg")
MIDLINE = ("forehead", "nose", "perioral", "chin", "neck", "scalp", "trunk", "genital")
SITE_PLACES = tuple(
    [(loc, side) for loc in PAIRED for side in ("left", "right", "bilateral")]
    + [(loc, "midline") for loc in MIDLINE]
    + [("forehead", "left"), ("forehead", "right"), ("other", "midline")]
)
# Sites per consultation, 1 to 20: a truncated geometric distribution with a mean near 3.3.
SITE_COUNTS = tuple(range(1, 21))
SITE_COUNT_WEIGHTS = tuple(0.7**k for k in range(20))
MILIA_TYPES = (
    ("primary", 70),
    ("secondary", 18),
    ("multiple_eruptive", 4),
    ("milia_en_plaque", 2),
    ("neonatal", 2),
    ("unsure", 4),
)
TREATMENTS = tuple(code for code, _label in TreatmentCode.choices)

# The 20-site chart of the consultation page benchmark (as in bench/bench_rules.py).
TWENTY_SITES = (
    ("eyelid", "left", 4, "1.0", "superficial", 6, []),
    ("eyelid", "right", 3, "0.8", "superficial", 6, []),
    ("periorbital", "left", 9, "1.2", "superficial", 14, [("topical_retinoid", False)]),
    ("periorbital", "right", 7, "1.0", "deep", 14, [("extraction", False)]),
    ("forehead", "midline", 1, "4.0", "superficial", 36, []),
    ("forehead", "left", 5, "1.5", "superficial", 8, [("chemical_peel", True)]),
    ("temple", "right", 2, "3.5", "deep", 20, [("extraction", False), ("cryotherapy", False)]),
    ("cheek", "left", 12, "1.0", "superficial", 10, []),
    ("cheek", "right", 11, "1.1", "superficial", 10, [("topical_retinoid", False)]),
    ("nose", "midline", 6, "0.9", "superficial", 4, []),
    ("perioral", "bilateral", 3, "1.0", "superficial", 2, []),
    ("chin", "midline", 2, "2.0", "deep", 30, [("extraction", False)]),
    ("jawline", "left", 1, "3.2", "superficial", 18, []),
    ("ear", "right", 2, "1.0", "superficial", 5, []),
    ("neck", "bilateral", 8, "1.3", "superficial", 9, []),
    ("scalp", "midline", 1, "5.0", "deep", 48, [("co2_laser", False)]),
    ("trunk", "bilateral", 25, "1.0", "superficial", 12, [("chemical_peel", False)]),
    ("arm", "left", 4, "1.5", "superficial", 3, []),
    ("hand", "right", 2, "2.5", "superficial", 7, [("cryotherapy", True)]),
    ("leg", "left", 1, "3.0", "deep", 60, []),
)

CLINICAL_TABLES = (
    "treatments_session",
    "treatments_plannedtreatment_sites",
    "treatments_plannedtreatment",
    "treatments_plan",
    "treatments_recommendation",
    "treatments_triedtreatment",
    "treatments_lesionsite",
    "treatments_consultation",
    "treatments_patient",
)

# Audit trails of an earlier data set name its patients: emptied with it, where they exist.
AUDIT_TABLES = ("treatments_auditevent", "auditlog_logentry")


def _tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass(t) IS NOT NULL",
        [list(AUDIT_TABLES)],
    )
    return [*CLINICAL_TABLES, *(table for (table,) in cursor.fetchall())]


# --- The marker ----------------------------------------------------------------------------


def _marker() -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_dataset ("
            " id int PRIMARY KEY CHECK (id = 1), size text NOT NULL,"
            " generator_version int NOT NULL, patients int NOT NULL,"
            " consultations int NOT NULL, sites int NOT NULL, tried int NOT NULL,"
            " fixtures jsonb NOT NULL, generated_seconds double precision NOT NULL,"
            " generated_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(
            "SELECT size, generator_version, patients, consultations, sites, tried, fixtures,"
            " generated_seconds FROM bench_dataset"
        )
        row = cursor.fetchone()
    if row is None:
        return None
    keys = ("size", "generator_version", "patients", "consultations", "sites", "tried")
    marker = dict(zip(keys, row[:6], strict=True))
    marker["fixtures"] = row[6] if isinstance(row[6], dict) else json.loads(row[6])
    marker["generated_seconds"] = row[7]
    return marker


def _write_marker(size: Size, counts: dict, fixtures: dict, seconds: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_dataset")
        cursor.execute(
            "INSERT INTO bench_dataset (id, size, generator_version, patients, consultations,"
            " sites, tried, fixtures, generated_seconds) VALUES (1, %s, %s, %s, %s, %s, %s, %s,"
            " %s)",
            [
                size.name,
                GENERATOR_VERSION,
                counts["patients"],
                counts["consultations"],
                counts["sites"],
                counts["tried"],
                json.dumps(fixtures),
                seconds,
            ],
        )


def ensure_dataset(size_name: str, *, force: bool = False, log=print) -> dict:
    """The data set of this size, generated only when the stored one differs; its marker."""
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark loads PostgreSQL only (set BENCH_DATABASE_URL).")
    size = SIZES[size_name]
    marker = _marker()
    if (
        not force
        and marker is not None
        and marker["size"] == size.name
        and marker["generator_version"] == GENERATOR_VERSION
        and Consultation.objects.filter(pk=marker["fixtures"]["consultation_20"]).exists()
    ):
        log(
            f"Data set '{size.name}' already loaded ({marker['patients']:,} patients, "
            f"{marker['consultations']:,} consultations, {marker['sites']:,} sites; generated "
            f"in {marker['generated_seconds']:.1f} s): reused."
        )
        marker["reused"] = True
        return marker
    log(f"Generating data set '{size.name}' ...")
    started = time.perf_counter()
    counts, fixtures = _generate(size, log)
    seconds = time.perf_counter() - started
    _write_marker(size, counts, fixtures, seconds)
    log(f"Data set '{size.name}' generated in {seconds:.1f} s.")
    marker = _marker()
    marker["reused"] = False
    return marker


# --- Generation ----------------------------------------------------------------------------


class _LazyStream:
    """A read()-able view of an iterator of str chunks, for COPY FROM STDIN."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._buffer = ""

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                break
        if size < 0:
            out, self._buffer = self._buffer, ""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    readline = read


def _copy(table: str, columns: tuple[str, ...], rows) -> None:
    """COPY rows (tab-separated lines, already escaped) into table, streaming in chunks."""

    def chunks(lines=rows, per_chunk=20_000):
        batch = []
        for line in lines:
            batch.append(line)
            if len(batch) == per_chunk:
                yield "".join(batch)
                batch = []
        if batch:
            yield "".join(batch)

    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.copy_expert(sql, _LazyStream(chunks()), size=1 << 18)


def _users() -> tuple:
    User = get_user_model()
    dermatologists = Group.objects.get(name=roles.DERMATOLOGIST)
    staff_group = Group.objects.get(name=roles.CLINIC_STAFF)

    def user(username, group, *, password):
        account, _ = User.objects.get_or_create(username=username)
        if password:
            account.set_password(BENCH_PASSWORD)
        else:
            account.set_unusable_password()
        account.save()
        account.groups.add(group)
        return account

    main = user(DERMATOLOGIST, dermatologists, password=True)
    user(STAFF, staff_group, password=True)
    others = [
        user(f"bench.derm{n:02d}", dermatologists, password=False)
        for n in range(1, OTHER_DERMATOLOGISTS + 1)
    ]
    return main, [main, *others]


SIGNED_GUARDED_TABLES = (
    "treatments_lesionsite",
    "treatments_triedtreatment",
    "treatments_plan",
    "treatments_plannedtreatment",
    "treatments_plannedtreatment_sites",
    "treatments_session",
)


def _generate(size: Size, log) -> tuple[dict, dict]:
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = now.isoformat()
    today = now.date()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            # One COPY of a million rows may outlast the app's statement timeout (settings).
            cursor.execute("SET LOCAL statement_timeout = 0")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = cursor.fetchone()[0]
            if superuser:
                # The generated rows are consistent by construction: a superuser may skip the
                # foreign-key triggers, which would otherwise check every row at commit.
                cursor.execute("SET LOCAL session_replication_role = replica")
            else:
                # Signed consultations are loaded before their sites: the table owner lets
                # them in while loading (migration 0008 refuses them otherwise).
                for table in SIGNED_GUARDED_TABLES:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_signed_read_only")
            cursor.execute(f"TRUNCATE {', '.join(_tables(cursor))} RESTART IDENTITY CASCADE")
        main, clinicians = _users()
        clinician_ids = [c.pk for c in clinicians]

        # Patients ------------------------------------------------------------------------
        t = time.perf_counter()
        born = _copy_patients(size, rng, stamp)
        log(f"  {size.patients:,} patients in {time.perf_counter() - t:.1f} s")

        # Consultations, sites, tried treatments: two fixtures come from the services below.
        t = time.perf_counter()
        bulk_consultations = size.consultations - 2
        consultation_rows, consultation_sites = _plan_consultations(
            bulk_consultations, size.patients, born, clinician_ids, rng, today
        )
        _copy(
            "treatments_consultation",
            (
                "id",
                "patient_id",
                "clinician_id",
                "date",
                "milia_type",
                "recurrent",
                "notes",
                "status",
                "signed_at",
                "version",
                "created_at",
                "updated_at",
                "diagnosis_code",
                "signed_by_id",
                "signed_by_role",
            ),  # fmt: skip
            consultation_rows,
        )
        log(f"  {bulk_consultations:,} consultations in {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        site_rows, tried_rows, counts = _site_rows(consultation_sites, rng)
        _copy(
            "treatments_lesionsite",
            ("id", "consultation_id", "location", "side", "count", "largest_mm", "depth",
             "months_present", "red_flags", "active_inflammation"),
            site_rows,
        )  # fmt: skip
        log(f"  {counts['sites']:,} lesion sites in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        _copy("treatments_triedtreatment", ("id", "site_id", "treatment", "worked"), tried_rows)
        log(f"  {counts['tried']:,} tried treatments in {time.perf_counter() - t:.1f} s")

        with connection.cursor() as cursor:
            for table in ("patient", "consultation", "lesionsite", "triedtreatment"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('treatments_{table}', 'id'),"
                    f" (SELECT COALESCE(MAX(id), 1) FROM treatments_{table}))"
                )
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            for table in () if superuser else SIGNED_GUARDED_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_signed_read_only")
        fixtures = _fixtures(main, today)
        t = time.perf_counter()
    log(f"  commit in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    with connection.cursor() as cursor:
        for table in CLINICAL_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    log(f"  VACUUM ANALYZE in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    _validate_sample()
    log(f"  a sample checked by the record's own validation in {time.perf_counter() - t:.1f} s")
    counts = {
        "patients": Patient.objects.count(),
        "consultations": Consultation.objects.count(),
        "sites": LesionSite.objects.count(),
        "tried": TriedTreatment.objects.count(),
    }
    return counts, fixtures


def _validate_sample(per_model: int = 500) -> None:
    """COPY skips Django: check that a sample of what it wrote passes the record's own
    validation (the rules' limits on every field, the constraints, a consultation dated within
    the patient's life). A site's clean() is left out: it refuses, by design, any part of a
    signed consultation, which the loader writes directly."""
    for model in (Patient, Consultation):
        for row in model.objects.select_related().order_by("id")[:per_model]:
            row.full_clean()
    for site in LesionSite.objects.order_by("id")[:per_model]:
        site.clean_fields()
        site.validate_constraints()


def _copy_patients(size: Size, rng: random.Random, stamp: str) -> list[int]:
    """COPY the patients; return each one's date of birth as an ordinal (index = id - 1)."""
    first_day, last_day = date(1940, 1, 1).toordinal(), date(2024, 12, 31).toordinal()
    sexes = [Sex.FEMALE.value] * 60 + [Sex.MALE.value] * 38 + [Sex.OTHER.value] * 2
    fitzpatrick = ["\\N"] * 3 + [str(n) for n in (1, 2, 2, 3, 3, 3, 4, 4, 5, 6)]
    born = [rng.randint(first_day, last_day) for _ in range(size.patients)]

    def rows():
        for index in range(size.patients):
            pk = index + 1
            if pk <= KNOWN_PATIENTS:
                family, mrn = KNOWN_FAMILY_NAME, f"BENCH-{pk:04d}"
            else:
                family, mrn = rng.choice(FAMILY_NAMES), f"MRN{pk:07d}"
            given = rng.choice(GIVEN_NAMES)
            flags = "\t".join(
                "t" if rng.random() < p else "f"
                for p in (0.02, 0.02, 0.03, 0.12, 0.01, 0.02, 0.05, 0.03)
            )
            # What Patient.search_key would store (COPY bypasses the model's save).
            key = search_key(given, family, mrn)
            yield (
                f"{pk}\t{mrn}\t{given}\t{family}\t{date.fromordinal(born[index]).isoformat()}\t"
                f"{rng.choice(sexes)}\t{rng.choice(fitzpatrick)}\t{flags}\t{stamp}\t{stamp}\t"
                f"{key}\n"
            )

    _copy(
        "treatments_patient",
        (
            "id",
            "medical_record_number",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "fitzpatrick",
            "pregnant",
            "breastfeeding",
            "isotretinoin_last_6_months",
            "herpes_simplex_history",
            "cold_intolerance",
            "keloid_tendency",
            "anticoagulant",
            "photosensitising_drug",
            "created_at",
            "updated_at",
            "search_key",
        ),  # fmt: skip
        rows(),
    )
    return born


def _plan_consultations(count, patients, born, clinician_ids, rng, today):
    """Consultation rows (a generator) and, per consultation, its number of sites."""
    first_day, last_day = date(2019, 1, 1).toordinal(), today.toordinal()
    types = [code for code, weight in MILIA_TYPES for _ in range(weight)]
    site_counts = rng.choices(SITE_COUNTS, weights=SITE_COUNT_WEIGHTS, k=count)

    def rows():
        for index in range(count):
            pk = index + 1
            patient = rng.randrange(patients)
            day = max(rng.randint(first_day, last_day), min(born[patient] + 7, last_day))
            on = date.fromordinal(day).isoformat()
            signed = rng.random() < 0.85
            status, signed_at = (
                ("signed", f"{on} {rng.randint(9, 17):02d}:{rng.randint(0, 59):02d}:00+00")
                if signed
                else ("draft", "\\N")
            )
            recurrent = "t" if rng.random() < 0.15 else "f"
            created = f"{on} 09:00:00+00"
            clinician = rng.choice(clinician_ids)
            # Signed by the clinician who saw the patient, as a dermatologist.
            signer, role = (clinician, roles.DERMATOLOGIST) if signed else ("\\N", "")
            yield (
                f"{pk}\t{patient + 1}\t{clinician}\t{on}\t{rng.choice(types)}\t"
                f"{recurrent}\t\t{status}\t{signed_at}\t{site_counts[index] + 1}\t{created}\t"
                f"{created}\t{settings.MILIA_ICD10_CODE}\t{signer}\t{role}\n"
            )

    return rows(), site_counts


def _site_rows(site_counts, rng):
    """Lesion site rows and tried-treatment rows (generators), and how many of each."""
    depths = [Depth.SUPERFICIAL.value] * 85 + [Depth.DEEP.value] * 15
    counts = {"sites": sum(site_counts), "tried": 0}
    tried_lines = []

    def sites():
        site_pk = 0
        tried_pk = 0
        for index, number in enumerate(site_counts):
            consultation = index + 1
            for location, side in rng.sample(SITE_PLACES, number):
                site_pk += 1
                largest = rng.choice((5, 6, 8, 10, 10, 10, 12, 15, 15, 20, 25, 30, 40, 50))
                yield (
                    f"{site_pk}\t{consultation}\t{location}\t{side}\t"
                    f"{min(1 + int(rng.expovariate(1 / 5)), 200)}\t{largest / 10:.1f}\t"
                    f"{rng.choice(depths)}\t{rng.randint(0, 60)}\tf\tf\n"
                )
                roll = rng.random()
                tried_here = 2 if roll < 0.05 else 1 if roll < 0.25 else 0
                for code in rng.sample(TREATMENTS, tried_here):
                    tried_pk += 1
                    worked = "t" if rng.random() < 0.3 else "f"
                    tried_lines.append(f"{tried_pk}\t{site_pk}\t{code}\t{worked}\n")
        counts["tried"] = tried_pk

    return sites(), tried_lines, counts


def _chart(consultation, sites) -> None:
    for location, side, count, largest, depth, months, tried in sites:
        site = LesionSite.objects.create(
            consultation=consultation,
            location=location,
            side=side,
            count=count,
            largest_mm=largest,
            depth=depth,
            months_present=months,
        )
        for code, worked in tried:
            TriedTreatment.objects.create(site=site, treatment=code, worked=worked)


def _fixtures(dermatologist, today: date) -> dict:
    """The records the benchmark reads: a 20-site draft chart and a signed, planned one."""
    patient, second = Patient.objects.filter(family_name=KNOWN_FAMILY_NAME).order_by("id")[:2]
    consultation = Consultation.objects.create(
        patient=patient,
        clinician=dermatologist,
        date=today,
        milia_type=MiliaType.SECONDARY,
        recurrent=True,
        notes="Benchmark chart: 20 sites.",
    )
    _chart(consultation, TWENTY_SITES)
    # A signed consultation with a plan of three sessions, four weeks apart, from today: the
    # aftercare sheet's record. Built row by row, as signing leaves it, so the benchmark does
    # not depend on the signatures of the workflow services.
    signed = Consultation.objects.create(patient=second, clinician=dermatologist, date=today)
    _chart(signed, TWENTY_SITES[7:10])
    plan = Plan.objects.create(consultation=signed, created_by=dermatologist)
    planned = PlannedTreatment.objects.create(
        plan=plan,
        treatment=Treatment.objects.get(code=TreatmentCode.TOPICAL_RETINOID),
        sessions=3,
        interval_weeks=4,
        starts_on=today,
    )
    planned.sites.set(signed.sites.all())
    Session.objects.bulk_create(
        Session(
            planned_treatment=planned, number=n, scheduled_for=today + timedelta(weeks=4 * n - 4)
        )
        for n in range(1, 4)
    )
    Consultation.objects.filter(pk=signed.pk).update(
        status=Consultation.Status.SIGNED, signed_at=timezone.now()
    )
    return {
        "consultation_20": consultation.pk,
        "signed_consultation": signed.pk,
        "planned_treatment": planned.pk,
        "patient": patient.pk,
    }
