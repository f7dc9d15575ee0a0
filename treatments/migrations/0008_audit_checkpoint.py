"""Signed checkpoints of the audit trail (``AuditCheckpoint``), append-only like the trail.

Triggers refuse to change or delete a checkpoint, as 0005 does for the events: on PostgreSQL
UPDATE and DELETE, on SQLite (development) UPDATE. The documented grants (README "Audit",
``deploy/grants.sql``) let the app's role only read this table; only the checkpoint role, which
``manage.py audit_checkpoint`` runs as, may insert.

Also: the new audit actions (lists, the audit trail itself, password changes).
"""

import django.utils.timezone
from django.db import migrations, models

TABLE = "treatments_auditcheckpoint"
TRIGGER = "treatments_auditcheckpoint_append_only"
MESSAGE = "audit checkpoints are append-only"

POSTGRESQL_INSTALL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TRIGGER}();
"""
POSTGRESQL_UNINSTALL = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS {TRIGGER}();
"""
SQLITE_INSTALL = f"""
CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE}
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_UNINSTALL = f"DROP TRIGGER IF EXISTS {TRIGGER};"


def install_triggers(connection) -> None:
    sql = {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}.get(connection.vendor)
    if sql is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def uninstall_triggers(connection) -> None:
    sql = {"postgresql": POSTGRESQL_UNINSTALL, "sqlite": SQLITE_UNINSTALL}.get(connection.vendor)
    if sql is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def create_triggers(apps, schema_editor):
    install_triggers(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    uninstall_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0007_catalogue_2026_2"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                ("event_count", models.BigIntegerField(editable=False)),
                (
                    "head_id",
                    models.BigIntegerField(
                        editable=False, null=True, verbose_name="head event id"
                    ),
                ),
                ("head_hash", models.CharField(editable=False, max_length=64)),
                ("key_id", models.CharField(editable=False, max_length=16, verbose_name="key id")),
                ("signature", models.CharField(editable=False, max_length=128)),
            ],
            options={
                "ordering": ["id"],
                "default_permissions": ("view",),
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("login", "Login"),
                    ("login_failed", "Failed login"),
                    ("logout", "Logout"),
                    ("view_patient", "Viewed a patient"),
                    ("view_consultation", "Viewed a consultation"),
                    ("search", "Searched patients"),
                    ("print", "Printed"),
                    ("download", "Downloaded"),
                    ("create", "Created"),
                    ("update", "Changed"),
                    ("delete", "Deleted"),
                    ("role_change", "Changed a user's roles"),
                    ("view_list", "Viewed a list of patients"),
                    ("view_audit", "Viewed the audit trail"),
                    ("password_change", "Changed a password"),
                ],
                editable=False,
                max_length=20,
            ),
        ),
    ]
