"""The audit trail's models, taken over from ``treatments`` (issue 12) by state only.

The tables were made, and made append-only by triggers, by treatments' migrations 0005 and 0008;
``db_table`` keeps them, their triggers and their rows, so every stored chain and signed
checkpoint still verifies. A later migration that rebuilds a table on SQLite drops its trigger
and must create it again (the SQL is in those two migrations).

The content types of the two models move from ``treatments`` to ``audit``: their permissions
keep their rows, so the roles and users granted ``view_auditevent`` keep it (now
``audit.view_auditevent``).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("auditevent", "auditcheckpoint")


def _move_content_types(apps, schema_editor, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.db_manager(schema_editor.connection.alias)
    for model in MODELS:
        old = content_types.filter(app_label=source, model=model).first()
        if old is None:
            continue  # a new database: the content type is made after the migrations
        # Only a ``migrate`` that stopped between the two apps' migrations can have made the
        # target already; it holds no grant the roles' sync does not make again.
        content_types.filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])
    content_types.clear_cache()


def content_types_to_audit(apps, schema_editor):
    _move_content_types(apps, schema_editor, "treatments", "audit")


def content_types_to_treatments(apps, schema_editor):
    _move_content_types(apps, schema_editor, "audit", "treatments")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("treatments", "0011_audit_moves_to_its_app"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, editable=False
                            ),
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
                                blank=True,
                                editable=False,
                                max_length=45,
                                verbose_name="IP address",
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
                                    ("view_list", "Viewed a list of patients"),
                                    ("view_audit", "Viewed the audit trail"),
                                    ("password_change", "Changed a password"),
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
                        (
                            "object_type",
                            models.CharField(blank=True, editable=False, max_length=100),
                        ),
                        (
                            "object_id",
                            models.CharField(blank=True, editable=False, max_length=64),
                        ),
                        (
                            "summary",
                            models.CharField(blank=True, editable=False, max_length=255),
                        ),
                        ("detail", models.JSONField(blank=True, default=dict, editable=False)),
                        (
                            "prev_hash",
                            models.CharField(
                                editable=False, max_length=64, verbose_name="previous hash"
                            ),
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
                        "db_table": "treatments_auditevent",
                        "ordering": ["id"],
                        "default_permissions": ("view",),
                        "indexes": [
                            models.Index(
                                fields=["patient_id", "at"], name="auditevent_patient_at"
                            ),
                            models.Index(
                                fields=["actor_username", "at"], name="auditevent_actor_at"
                            ),
                            models.Index(fields=["action", "at"], name="auditevent_action_at"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("prev_hash",), name="auditevent_one_successor"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="AuditCheckpoint",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, editable=False
                            ),
                        ),
                        ("event_count", models.BigIntegerField(editable=False)),
                        (
                            "head_id",
                            models.BigIntegerField(
                                editable=False, null=True, verbose_name="head event id"
                            ),
                        ),
                        ("head_hash", models.CharField(editable=False, max_length=64)),
                        (
                            "key_id",
                            models.CharField(editable=False, max_length=16, verbose_name="key id"),
                        ),
                        ("signature", models.CharField(editable=False, max_length=128)),
                    ],
                    options={
                        "db_table": "treatments_auditcheckpoint",
                        "ordering": ["id"],
                        "default_permissions": ("view",),
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_audit, content_types_to_treatments),
    ]
