"""The patient search compares folded names: a stored search key, filled for every patient, and
an index for it on each database (PostgreSQL: one trigram index in place of the three of 0004).

``Patient.search_key`` holds ``treatments.text.search_key(given name, family name, record
number)``: case, accents, apostrophes and hyphens folded away (Zoë O'Brien-Łukasz, A1 is stored
as "zoe obrienlukasz a1 o brien lukasz"). The search folds each typed word the same way and asks
for it with ``contains`` (a word of one or two letters: at the start of a word), which both
databases compile to ``LIKE`` on the plain column: the same rule on PostgreSQL and on SQLite,
decided once in Python. PostgreSQL's ``unaccent`` is not used: its rules are its own (it knows nothing of the
apostrophes, and SQLite has no equivalent), so the two databases would disagree on what matches.

PostgreSQL: a GIN index of trigrams over the key answers that LIKE (a bitmap index scan; a short
word's start is a trigram too). The three ``UPPER(column)`` indexes of 0004 served the old
``icontains`` search and nothing else: they go. No B-tree on the list's order comes with it
(0004 says why: PostgreSQL would walk it for a common surname instead of using the trigrams).

SQLite has no trigram index: it reads the key for every patient. A B-tree on the list's order
that carries the key (``patient_search_order``) lets it read the index rather than the table and
stop at the page's 25th match, and answers the count from the index alone (bench/bench_search.py:
about half the time of scanning the table at 100,000 patients).

Both are raw SQL, as in 0004, because neither belongs on the other database; the migration
state is unchanged. A later migration that rebuilds ``treatments_patient`` on SQLite drops
``patient_search_order`` and must create it again (tests/test_search.py fails if it is missing).
"""

from django.db import migrations

import treatments.models
from treatments.text import search_key

OLD_INDEXES = (
    ("patient_family_name_trgm", "family_name"),
    ("patient_given_name_trgm", "given_name"),
    ("patient_mrn_trgm", "medical_record_number"),
)
INDEX = "patient_search_key_trgm"
SQLITE_INDEX = "patient_search_order"


def fill_search_keys(apps, schema_editor):
    Patient = apps.get_model("treatments", "Patient")
    patients = Patient.objects.only("given_name", "family_name", "medical_record_number")
    batch = []
    for patient in patients.order_by("pk").iterator(chunk_size=2000):
        patient.search_key = search_key(
            patient.given_name, patient.family_name, patient.medical_record_number
        )
        batch.append(patient)
        if len(batch) == 1000:
            Patient.objects.bulk_update(batch, ["search_key"])
            batch = []
    Patient.objects.bulk_update(batch, ["search_key"])


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {SQLITE_INDEX} ON treatments_patient "
            "(family_name, given_name, id, search_key)"
        )
        return
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, _column in OLD_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON treatments_patient "
        "USING gin (search_key gin_trgm_ops)"
    )


def restore_old_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {SQLITE_INDEX}")
        return
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    for name, column in OLD_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON treatments_patient "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("treatments", "0015_signer_and_addenda")]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="search_key",
            field=treatments.models.SearchKeyField(
                blank=True,
                editable=False,
                sources=("given_name", "family_name", "medical_record_number"),
            ),
        ),
        migrations.RunPython(fill_search_keys, migrations.RunPython.noop),
        migrations.RunPython(create_index, restore_old_indexes),
    ]
