"""The diagnosis code on each consultation, and the Fitzpatrick skin types named once.

Existing consultations, signed ones included, are given the code in force
(``MILIA_ICD10_CODE``) by the new column's default as it is added: no row is updated, so the
signed-is-read-only triggers have nothing to refuse. On SQLite, adding a non-null column rebuilds
the consultation table, which the triggers of migration 0009 name: they are dropped first and
made again after.
"""

import importlib

import django.core.validators
from django.db import migrations, models

import treatments.models

# A migration module's name starts with a digit: it is imported by name.
read_only = importlib.import_module("treatments.migrations.0009_signed_record_read_only")


def drop_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        read_only.uninstall_triggers(schema_editor.connection)


def create_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        read_only.install_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0013_session_marking"),
    ]

    operations = [
        # SQLite cannot rebuild a table that other tables' triggers name: they go first.
        migrations.RunPython(drop_sqlite_triggers, create_sqlite_triggers),
        migrations.AddField(
            model_name="consultation",
            name="diagnosis_code",
            field=models.CharField(
                default=treatments.models.default_diagnosis_code,
                help_text="Milia are usually coded L72.0; some services use L72.8.",
                max_length=8,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?$",
                        code="icd10cm",
                        message="Enter an ICD-10-CM code such as L72.0.",
                    )
                ],
                verbose_name="diagnosis code (ICD-10-CM)",
            ),
        ),
        migrations.RunPython(create_sqlite_triggers, drop_sqlite_triggers),
        migrations.AlterField(
            model_name="patient",
            name="fitzpatrick",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (1, "Skin type I"),
                    (2, "Skin type II"),
                    (3, "Skin type III"),
                    (4, "Skin type IV"),
                    (5, "Skin type V"),
                    (6, "Skin type VI"),
                ],
                error_messages={"invalid_choice": "Choose a skin type from I to VI, or none."},
                help_text="I to VI; leave empty if not assessed.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(6),
                ],
                verbose_name="Fitzpatrick skin type",
            ),
        ),
    ]
