"""Clinical photos of a lesion site, final once their consultation is signed.

The database refuses, whatever the code that asks, to add a photo to a site of a signed
consultation or to change one there; PostgreSQL also refuses to remove one (SQLite, development
only: the services refuse it, because the tests' flush empties tables with DELETE, as in 0009).
The new table rebuilds no guarded table, so 0009's triggers (as 0013 and 0015 left them) stand.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

TABLE = "treatments_clinicalphoto"
MESSAGE = "a signed consultation is read-only"
SIGNED = (
    "EXISTS (SELECT 1 FROM treatments_lesionsite s JOIN treatments_consultation c"
    " ON c.id = s.consultation_id WHERE s.id = {row}.site_id AND c.status = 'signed')"
)

POSTGRESQL_INSTALL = f"""
CREATE OR REPLACE FUNCTION {TABLE}_signed_read_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND {SIGNED.format(row="OLD")} THEN
        RAISE EXCEPTION '{MESSAGE} (% on {TABLE} refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF {SIGNED.format(row="NEW")} THEN
            RAISE EXCEPTION '{MESSAGE} (% on {TABLE} refused)', TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER {TABLE}_signed_read_only BEFORE INSERT OR UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_signed_read_only();
"""
POSTGRESQL_UNINSTALL = f"""
DROP TRIGGER IF EXISTS {TABLE}_signed_read_only ON {TABLE};
DROP FUNCTION IF EXISTS {TABLE}_signed_read_only();
"""
SQLITE_INSTALL = [
    f"""
CREATE TRIGGER {TABLE}_signed_no_insert BEFORE INSERT ON {TABLE}
WHEN {SIGNED.format(row="NEW")}
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
""",
    f"""
CREATE TRIGGER {TABLE}_signed_no_update BEFORE UPDATE ON {TABLE}
WHEN {SIGNED.format(row="OLD")} OR {SIGNED.format(row="NEW")}
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
""",
]
SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_signed_no_insert;",
    f"DROP TRIGGER IF EXISTS {TABLE}_signed_no_update;",
]


def install_photo_triggers(connection) -> None:
    """Create the photo table's signed-is-read-only triggers on this connection's database
    (a later migration that rebuilds the table on SQLite calls it again)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_INSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_INSTALL:
                cursor.execute(statement)


def uninstall_photo_triggers(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_UNINSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_UNINSTALL:
                cursor.execute(statement)


def create_triggers(apps, schema_editor):
    install_photo_triggers(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    uninstall_photo_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0016_patient_search_key'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ClinicalPhoto',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('image_name', models.CharField(editable=False, max_length=255, unique=True)),
                ('thumbnail_name', models.CharField(editable=False, max_length=255, unique=True)),
                ('width', models.PositiveIntegerField(editable=False)),
                ('height', models.PositiveIntegerField(editable=False)),
                ('sha256', models.CharField(editable=False, max_length=64, verbose_name='content hash (SHA-256)')),
                ('consent', models.CharField(choices=[('record', 'Clinical record only'), ('teaching', 'Clinical record and teaching')], max_length=10, verbose_name='consent to use the photo')),
                ('taken_at', models.DateTimeField()),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('site', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='photos', to='treatments.lesionsite')),
                ('uploaded_by', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['taken_at', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('width__gte', 1), ('height__gte', 1)), name='photo_has_pixels', violation_error_message='A photo is at least one pixel wide and high.')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
