"""The audit trail's table, made append-only in the database itself, and who may read it.

Triggers refuse to change or delete an audit event, whatever the code that asks:

- PostgreSQL: one row trigger refuses UPDATE and DELETE. The one update it lets through clears
  the link to a deleted user (``on_delete=SET_NULL``) and changes nothing else; the hash covers
  the user name, not that link. TRUNCATE fires no row trigger: it needs the table's owner, and
  only the test suite's flush uses it (production runs the app as a role that does not own the
  table, see README "Audit").
- SQLite: a trigger refuses UPDATE (with the same one exception). DELETE is refused by the model
  and its manager only, because the test suite's flush between browser tests empties every table
  with DELETE on SQLite; SQLite is the development database.

A later migration that rebuilds this table on SQLite drops its trigger and must create it again
(``install_triggers``); tests/test_audit.py fails if the trigger is missing.

Reading the trail is the ``view_auditevent`` permission (the model has no add, change or delete
permission to give), granted here to the Clinic admin role, which treatments.roles lists.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

CLINIC_ADMIN = "Clinic admin"  # treatments.roles.CLINIC_ADMIN, fixed here as migrations are

TABLE = "treatments_auditevent"
TRIGGER = "treatments_auditevent_append_only"
# Every column but actor_id, the only one an UPDATE may touch (to clear it).
COLUMNS = (
    "id",
    "at",
    "actor_username",
    "remote_addr",
    "action",
    "patient_id",
    "object_type",
    "object_id",
    "summary",
    "detail",
    "prev_hash",
    "hash",
)
MESSAGE = "audit events are append-only"

POSTGRESQL_INSTALL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id' THEN
        RETURN NEW;
    END IF;
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

_UNCHANGED = " AND ".join(f'NEW."{column}" IS OLD."{column}"' for column in COLUMNS)
SQLITE_INSTALL = f"""
CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE}
WHEN NOT (NEW.actor_id IS NULL AND {_UNCHANGED})
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_UNINSTALL = f"DROP TRIGGER IF EXISTS {TRIGGER};"


def install_triggers(connection) -> None:
    """Create the append-only trigger(s) on this connection's database."""
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


def _view_auditevent(apps):
    # Permissions are normally made after all migrations ran; the grant needs this one now.
    app_config = apps.get_app_config("treatments")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label="treatments", codename="view_auditevent"
    )


def grant_view_to_clinic_admin(apps, schema_editor):
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=CLINIC_ADMIN)
    group.permissions.add(_view_auditevent(apps))


def revoke_view_from_clinic_admin(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name=CLINIC_ADMIN):
        group.permissions.remove(_view_auditevent(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0004_patient_search_trigram"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
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
                (
                    "actor_username",
                    models.CharField(
                        blank=True, editable=False, max_length=150, verbose_name="user"
                    ),
                ),
                (
                    "remote_addr",
                    models.CharField(
                        blank=True, editable=False, max_length=45, verbose_name="IP address"
                    ),
                ),
                (
                    "action",
                    models.CharField(
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
                        ],
                        editable=False,
                        max_length=20,
                    ),
                ),
                (
                    "patient_id",
                    models.BigIntegerField(
                        blank=True, editable=False, null=True, verbose_name="patient id"
                    ),
                ),
                ("object_type", models.CharField(blank=True, editable=False, max_length=100)),
                ("object_id", models.CharField(blank=True, editable=False, max_length=64)),
                ("summary", models.CharField(blank=True, editable=False, max_length=255)),
                ("detail", models.JSONField(blank=True, default=dict, editable=False)),
                (
                    "prev_hash",
                    models.CharField(editable=False, max_length=64, verbose_name="previous hash"),
                ),
                ("hash", models.CharField(editable=False, max_length=64)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "default_permissions": ("view",),
                "indexes": [
                    models.Index(fields=["patient_id", "at"], name="auditevent_patient_at"),
                    models.Index(fields=["actor_username", "at"], name="auditevent_actor_at"),
                    models.Index(fields=["action", "at"], name="auditevent_action_at"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("prev_hash",), name="auditevent_one_successor"
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(grant_view_to_clinic_admin, revoke_view_from_clinic_admin),
    ]
