"""Trigram indexes for the patient search on PostgreSQL; nothing on other databases.

`Patient.objects.search` filters with ``icontains``, which Django compiles on PostgreSQL to
``UPPER("col"::text) LIKE UPPER('%term%')``. A B-tree cannot serve a leading wildcard; a GIN
index of trigrams over exactly that expression can, so each of the three columns a search word
is matched against gets one on ``UPPER(col::text)``, and PostgreSQL combines them with a
BitmapOr (EXPLAIN ANALYZE on the 100,000 patients of `make bench`: 0.2 to 1.6 ms per query
instead of a 90 ms sequential scan). SQLite has no GIN: there the search scans, as before.

No B-tree on the list's order (family name, given name, id) comes with them: with one, PostgreSQL
answers a search for a common surname ("Rossi", LIMIT 25) by walking that index from "A" and
filtering, 90 to 165 ms, instead of sorting the few hundred matches the trigrams find.

The indexes are raw SQL rather than ``Patient.Meta.indexes`` because they cannot exist on SQLite;
the migration state is unchanged, so ``makemigrations --check`` stays clean.
``CREATE EXTENSION pg_trgm`` needs a superuser (or a trusted-extension grant) once per database:
where the app's database user cannot create it, a superuser runs it before ``migrate``.
"""

from django.db import migrations

INDEXES = (
    ("patient_family_name_trgm", "family_name"),
    ("patient_given_name_trgm", "given_name"),
    ("patient_mrn_trgm", "medical_record_number"),
)


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON treatments_patient "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("treatments", "0003_catalogue")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
