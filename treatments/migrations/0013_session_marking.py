"""A session marked done keeps the reason it was marked early or out of order; a home treatment
(the retinoid) has no sessions but a review date.

Adding the reason rebuilds the session table on SQLite, which drops the signed-is-read-only
triggers of 0009: they are created again. On PostgreSQL the session trigger is replaced so that
the reason, like who and when, may still be written once the consultation is signed.
"""

import importlib

import django.core.validators
from django.db import migrations, models

_0009 = importlib.import_module("treatments.migrations.0009_signed_record_read_only")

# The columns of a signed consultation's session that may change: marking it done and undoing.
SESSION_DONE_COLUMNS = ("done_at", "done_by_id", "done_reason")


def _postgresql_session_function(done_columns) -> str:
    table = "treatments_session"
    consultation_of = _0009.CONSULTATION_OF[table]
    old_signed = _0009._signed(consultation_of.format(row="OLD"))
    new_signed = _0009._signed(consultation_of.format(row="NEW"))
    new_rest = " - ".join(["to_jsonb(NEW)", *(f"'{c}'" for c in done_columns)])
    old_rest = " - ".join(["to_jsonb(OLD)", *(f"'{c}'" for c in done_columns)])
    message = _0009.MESSAGE
    return f"""
CREATE OR REPLACE FUNCTION {table}_signed_read_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF {old_signed} THEN
            IF TG_OP = 'UPDATE' AND {new_rest} = {old_rest} THEN RETURN NEW; END IF;
            RAISE EXCEPTION '{message} (% on {table} refused)', TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF {new_signed} THEN
            RAISE EXCEPTION '{message} (% on {table} refused)', TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$;
"""


def _install(connection, done_columns) -> None:
    _0009.install_triggers(connection)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_postgresql_session_function(done_columns))


def drop_triggers(apps, schema_editor):
    # Before the tables change: SQLite refuses to rebuild a table that another's trigger names.
    _0009.uninstall_triggers(schema_editor.connection)


def install_triggers(apps, schema_editor):
    _install(schema_editor.connection, SESSION_DONE_COLUMNS)


def install_triggers_of_0009(apps, schema_editor):
    _install(schema_editor.connection, _0009.SESSION_DONE_COLUMNS)


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0012_vocabulary'),
    ]

    operations = [
        migrations.RunPython(drop_triggers, install_triggers_of_0009),
        migrations.RemoveConstraint(
            model_name='plannedtreatment',
            name='planned_sessions_at_least_1',
        ),
        migrations.AddField(
            model_name='plannedtreatment',
            name='review_on',
            field=models.DateField(blank=True, help_text='When a home treatment is reviewed.', null=True, verbose_name='review'),
        ),
        migrations.AddField(
            model_name='session',
            name='done_reason',
            field=models.TextField(blank=True, verbose_name='reason for marking it done'),
        ),
        migrations.AlterField(
            model_name='plannedtreatment',
            name='sessions',
            field=models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1)]),
        ),
        migrations.AddConstraint(
            model_name='plannedtreatment',
            constraint=models.CheckConstraint(condition=models.Q(('sessions__isnull', True), ('sessions__gte', 1), _connector='OR'), name='planned_sessions_at_least_1', violation_error_message='A planned treatment has at least 1 session, or none at the clinic (a home treatment).'),
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
