"""Who signed a consultation (and in which role), and addenda to a signed consultation.

An addendum is append-only: the database refuses to change one, or to add one to a consultation
that is not signed; on PostgreSQL it also refuses to remove one (on SQLite, development only, the
services and the admin refuse it, because the tests' flush empties tables with DELETE, as for
migration 0009).

Adding ``signed_by_role`` rebuilds the consultation table on SQLite, which drops migration 0009's
triggers (as 0013 left them): they are taken down first (so that existing signed rows can be given their signer, the
user who asked for the advice stored at signing) and installed again afterwards.
"""

import importlib

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


read_only = importlib.import_module("treatments.migrations.0009_signed_record_read_only")
# The read-only triggers as they stand since 0013 (a session's reason may still be written).
session_marking = importlib.import_module("treatments.migrations.0013_session_marking")

MESSAGE = "an addendum is append-only"


def _postgresql_install() -> str:
    return f"""
CREATE OR REPLACE FUNCTION treatments_consultationaddendum_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM treatments_consultation
                   WHERE id = NEW.consultation_id AND status = 'signed') THEN
        RAISE EXCEPTION 'an addendum is added to a signed consultation only'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER treatments_consultationaddendum_append_only
    BEFORE INSERT OR UPDATE OR DELETE ON treatments_consultationaddendum
    FOR EACH ROW EXECUTE FUNCTION treatments_consultationaddendum_append_only();
"""


SQLITE_STATEMENTS = [
    f"""
CREATE TRIGGER treatments_consultationaddendum_no_update
BEFORE UPDATE ON treatments_consultationaddendum
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
""",
    """
CREATE TRIGGER treatments_consultationaddendum_signed_only
BEFORE INSERT ON treatments_consultationaddendum
WHEN NOT EXISTS (SELECT 1 FROM treatments_consultation
                 WHERE id = NEW.consultation_id AND status = 'signed')
BEGIN SELECT RAISE(ABORT, 'an addendum is added to a signed consultation only'); END;
""",
]


def install_addendum_triggers(connection) -> None:
    """Create the append-only triggers of addenda on this connection's database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_postgresql_install())
        elif connection.vendor == "sqlite":
            for statement in SQLITE_STATEMENTS:
                cursor.execute(statement)


def uninstall_addendum_triggers(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "DROP TRIGGER IF EXISTS treatments_consultationaddendum_append_only"
                " ON treatments_consultationaddendum;"
                "DROP FUNCTION IF EXISTS treatments_consultationaddendum_append_only();"
            )
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS treatments_consultationaddendum_no_update;")
            cursor.execute("DROP TRIGGER IF EXISTS treatments_consultationaddendum_signed_only;")


def drop_read_only(apps, schema_editor):
    read_only.uninstall_triggers(schema_editor.connection)


def install_read_only(apps, schema_editor):
    read_only.uninstall_triggers(schema_editor.connection)
    session_marking.install_triggers(apps, schema_editor)


def signer_from_stored_advice(apps, schema_editor):
    """A consultation signed before this migration: its signer is the user who asked for the
    advice stored at signing (signing stores it)."""
    Consultation = apps.get_model("treatments", "Consultation")
    Recommendation = apps.get_model("treatments", "Recommendation")
    for consultation in Consultation.objects.filter(status="signed", signed_by__isnull=True):
        stored = (
            Recommendation.objects.filter(consultation=consultation)
            .order_by("-requested_at", "-id")
            .first()
        )
        if stored is not None:
            Consultation.objects.filter(pk=consultation.pk).update(
                signed_by_id=stored.requested_by_id
            )


def create_addendum_triggers(apps, schema_editor):
    install_addendum_triggers(schema_editor.connection)


def drop_addendum_triggers(apps, schema_editor):
    uninstall_addendum_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0014_consultation_diagnosis_code'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_read_only, install_read_only),
        migrations.AddField(
            model_name='consultation',
            name='signed_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='consultation',
            name='signed_by_role',
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.RunPython(signer_from_stored_advice, migrations.RunPython.noop),
        migrations.RunPython(install_read_only, drop_read_only),
        migrations.CreateModel(
            name='ConsultationAddendum',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField(help_text='At most 4000 characters.', validators=[django.core.validators.MaxLengthValidator(4000)])),
                ('author_role', models.CharField(blank=True, max_length=100)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('consultation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='addenda', to='treatments.consultation')),
            ],
            options={
                'ordering': ['created_at', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('text', ''), _negated=True), name='addendum_text_not_blank', violation_error_message='Write the addendum.')],
            },
        ),
        migrations.RunPython(create_addendum_triggers, drop_addendum_triggers),
    ]
