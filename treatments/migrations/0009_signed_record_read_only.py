"""The record's limits (the rules' constants as validators), and a signed consultation made
read-only in the database itself.

Triggers refuse, whatever the code that asks: any change to a signed consultation's row; adding,
changing or removing its lesion sites, the treatments tried at them, its plan, the plan's
treatments and their sites; and adding, removing or rescheduling its sessions. Marking a
session done (``done_at``, ``done_by``) stays possible: sessions record what took place.

- PostgreSQL: row triggers on INSERT, UPDATE and DELETE.
- SQLite (development): INSERT and UPDATE only; DELETE is refused by the services and the admin,
  because the test suite's flush between browser tests empties every table with DELETE (as for
  the audit trail, migration 0005).

A later migration that rebuilds one of these tables on SQLite (adding a non-null column does)
drops its triggers and must create them again (``install_triggers``); tests/test_integrity.py
fails if they are missing.
"""

import django.core.validators
from decimal import Decimal
from django.db import migrations, models

MESSAGE = "a signed consultation is read-only"

# How each guarded table reaches its consultation's id, from a row ({row} is NEW or OLD).
CONSULTATION_OF = {
    "treatments_lesionsite": "{row}.consultation_id",
    "treatments_plan": "{row}.consultation_id",
    "treatments_triedtreatment": (
        "(SELECT consultation_id FROM treatments_lesionsite WHERE id = {row}.site_id)"
    ),
    "treatments_plannedtreatment": (
        "(SELECT consultation_id FROM treatments_plan WHERE id = {row}.plan_id)"
    ),
    "treatments_plannedtreatment_sites": (
        "(SELECT p.consultation_id FROM treatments_plannedtreatment pt"
        " JOIN treatments_plan p ON p.id = pt.plan_id WHERE pt.id = {row}.plannedtreatment_id)"
    ),
    "treatments_session": (
        "(SELECT p.consultation_id FROM treatments_plannedtreatment pt"
        " JOIN treatments_plan p ON p.id = pt.plan_id WHERE pt.id = {row}.planned_treatment_id)"
    ),
}
# The columns of a session that may change once signed: it is marked done.
SESSION_DONE_COLUMNS = ("done_at", "done_by_id")
SESSION_FROZEN_COLUMNS = ("id", "planned_treatment_id", "number", "scheduled_for")


def _signed(expression: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM treatments_consultation"
        f" WHERE id = {expression} AND status = 'signed')"
    )


def _postgresql_install() -> str:
    sql = [f"""
CREATE OR REPLACE FUNCTION treatments_consultation_signed_read_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER treatments_consultation_signed_read_only BEFORE UPDATE OR DELETE
    ON treatments_consultation FOR EACH ROW
    EXECUTE FUNCTION treatments_consultation_signed_read_only();
"""]
    done_only = " - ".join(["to_jsonb(NEW)", *(f"'{c}'" for c in SESSION_DONE_COLUMNS)])
    done_only_old = " - ".join(["to_jsonb(OLD)", *(f"'{c}'" for c in SESSION_DONE_COLUMNS)])
    for table, consultation_of in CONSULTATION_OF.items():
        name = f"{table}_signed_read_only"
        old_signed = _signed(consultation_of.format(row="OLD"))
        new_signed = _signed(consultation_of.format(row="NEW"))
        allowed_update = (
            f"IF TG_OP = 'UPDATE' AND {done_only} = {done_only_old} THEN RETURN NEW; END IF;"
            if table == "treatments_session"
            else ""
        )
        sql.append(f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF {old_signed} THEN
            {allowed_update}
            RAISE EXCEPTION '{MESSAGE} (% on {table} refused)', TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF {new_signed} THEN
            RAISE EXCEPTION '{MESSAGE} (% on {table} refused)', TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER {name} BEFORE INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {name}();
""")
    return "\n".join(sql)


def _postgresql_uninstall() -> str:
    sql = [
        "DROP TRIGGER IF EXISTS treatments_consultation_signed_read_only"
        " ON treatments_consultation;",
        "DROP FUNCTION IF EXISTS treatments_consultation_signed_read_only();",
    ]
    for table in CONSULTATION_OF:
        sql.append(f"DROP TRIGGER IF EXISTS {table}_signed_read_only ON {table};")
        sql.append(f"DROP FUNCTION IF EXISTS {table}_signed_read_only();")
    return "\n".join(sql)


def _sqlite_statements() -> list[str]:
    statements = [f"""
CREATE TRIGGER treatments_consultation_signed_read_only BEFORE UPDATE ON treatments_consultation
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
"""]
    for table, consultation_of in CONSULTATION_OF.items():
        old_signed = _signed(consultation_of.format(row="OLD"))
        new_signed = _signed(consultation_of.format(row="NEW"))
        update_refused = f"{old_signed} OR {new_signed}"
        if table == "treatments_session":
            unchanged = " AND ".join(
                f"NEW.{column} IS OLD.{column}" for column in SESSION_FROZEN_COLUMNS
            )
            update_refused = (
                f"({old_signed} AND NOT ({unchanged})) OR ({new_signed} AND NOT {old_signed})"
            )
        statements.append(f"""
CREATE TRIGGER {table}_signed_no_insert BEFORE INSERT ON {table}
WHEN {new_signed}
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
""")
        statements.append(f"""
CREATE TRIGGER {table}_signed_no_update BEFORE UPDATE ON {table}
WHEN {update_refused}
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
""")
    return statements


def _sqlite_uninstall_statements() -> list[str]:
    statements = ["DROP TRIGGER IF EXISTS treatments_consultation_signed_read_only;"]
    for table in CONSULTATION_OF:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_signed_no_insert;")
        statements.append(f"DROP TRIGGER IF EXISTS {table}_signed_no_update;")
    return statements


def install_triggers(connection) -> None:
    """Create the signed-is-read-only triggers on this connection's database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_postgresql_install())
        elif connection.vendor == "sqlite":
            for statement in _sqlite_statements():
                cursor.execute(statement)


def uninstall_triggers(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_postgresql_uninstall())
        elif connection.vendor == "sqlite":
            for statement in _sqlite_uninstall_statements():
                cursor.execute(statement)


def create_triggers(apps, schema_editor):
    install_triggers(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    uninstall_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0008_audit_checkpoint'),
    ]

    operations = [
        migrations.AlterField(
            model_name='lesionsite',
            name='count',
            field=models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(10000)], verbose_name='number of milia'),
        ),
        migrations.AlterField(
            model_name='lesionsite',
            name='largest_mm',
            field=models.DecimalField(decimal_places=1, max_digits=4, validators=[django.core.validators.MinValueValidator(Decimal('0.1')), django.core.validators.MaxValueValidator(100)], verbose_name='largest diameter (mm)'),
        ),
        migrations.AlterField(
            model_name='lesionsite',
            name='months_present',
            field=models.PositiveIntegerField(validators=[django.core.validators.MaxValueValidator(1200)], verbose_name='months present'),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
