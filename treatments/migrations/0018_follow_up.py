"""Follow-up consultations: the consultation a follow-up continues, and the outcome of each
site carried into it (issue 16).

Adding (or removing) ``follows`` may rebuild the consultation table on SQLite, which drops
migration 0009's triggers (as 0013 left them) and is refused under 0015's addendum triggers,
which read that table, and 0017's photo triggers: all are taken down first and installed again afterwards, as 0015 does. The outcomes of a signed follow-up are read-only like the rest of it: the database refuses
to add or change one (and, on PostgreSQL, to remove one; on SQLite, development only, the services
refuse it, because the tests' flush empties tables with DELETE, as for migration 0009).
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

read_only = importlib.import_module("treatments.migrations.0009_signed_record_read_only")
session_marking = importlib.import_module("treatments.migrations.0013_session_marking")
# The addenda's triggers read the consultation table, which SQLite refuses to rebuild under them.
addenda = importlib.import_module("treatments.migrations.0015_signer_and_addenda")
# So do the clinical photos' (through the site).
photos = importlib.import_module("treatments.migrations.0017_clinical_photos")

MESSAGE = "a signed consultation is read-only"
_SIGNED_ROW = (
    "SELECT 1 FROM treatments_consultation WHERE id = {row}.consultation_id AND status = 'signed'"
)

POSTGRESQL_INSTALL = f"""
CREATE OR REPLACE FUNCTION treatments_siteoutcome_signed_read_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP <> 'INSERT' AND EXISTS ({_SIGNED_ROW.format(row="OLD")}))
       OR (TG_OP <> 'DELETE' AND EXISTS ({_SIGNED_ROW.format(row="NEW")})) THEN
        RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER treatments_siteoutcome_signed_read_only
    BEFORE INSERT OR UPDATE OR DELETE ON treatments_siteoutcome
    FOR EACH ROW EXECUTE FUNCTION treatments_siteoutcome_signed_read_only();
"""

SQLITE_INSTALL = [
    f"""
CREATE TRIGGER treatments_siteoutcome_signed_no_insert
BEFORE INSERT ON treatments_siteoutcome
WHEN EXISTS ({_SIGNED_ROW.format(row="NEW")})
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
""",
    f"""
CREATE TRIGGER treatments_siteoutcome_signed_no_update
BEFORE UPDATE ON treatments_siteoutcome
WHEN EXISTS ({_SIGNED_ROW.format(row="OLD")})
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
""",
]


def install_outcome_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_INSTALL)
        elif schema_editor.connection.vendor == "sqlite":
            for statement in SQLITE_INSTALL:
                cursor.execute(statement)


def uninstall_outcome_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(
                "DROP TRIGGER IF EXISTS treatments_siteoutcome_signed_read_only"
                " ON treatments_siteoutcome;"
                "DROP FUNCTION IF EXISTS treatments_siteoutcome_signed_read_only();"
            )
        elif schema_editor.connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS treatments_siteoutcome_signed_no_insert;")
            cursor.execute("DROP TRIGGER IF EXISTS treatments_siteoutcome_signed_no_update;")


def drop_read_only(apps, schema_editor):
    read_only.uninstall_triggers(schema_editor.connection)
    addenda.uninstall_addendum_triggers(schema_editor.connection)
    photos.uninstall_photo_triggers(schema_editor.connection)


def install_read_only(apps, schema_editor):
    drop_read_only(apps, schema_editor)
    session_marking.install_triggers(apps, schema_editor)
    addenda.install_addendum_triggers(schema_editor.connection)
    photos.install_photo_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0017_clinical_photos'),
    ]

    operations = [
        migrations.RunPython(drop_read_only, install_read_only),
        migrations.AddField(
            model_name='consultation',
            name='follows',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='follow_ups', to='treatments.consultation'),
        ),
        migrations.RunPython(install_read_only, drop_read_only),
        migrations.CreateModel(
            name='SiteOutcome',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('outcome', models.CharField(blank=True, choices=[('cleared', 'Cleared'), ('improved', 'Improved'), ('unchanged', 'Unchanged'), ('worse', 'Worse'), ('recurred', 'Recurred')], max_length=12)),
                ('outcome_on', models.DateField(blank=True, null=True, verbose_name='outcome seen on')),
                ('consultation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='site_outcomes', to='treatments.consultation')),
                ('previous_site', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='treatments.lesionsite')),
                ('site', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='outcome', to='treatments.lesionsite')),
                ('treatments', models.ManyToManyField(blank=True, related_name='+', to='treatments.plannedtreatment')),
            ],
            options={
                'ordering': ['id'],
                'permissions': [('view_outcome_report', "Can view the clinic's outcome report")],
                'constraints': [models.UniqueConstraint(fields=('consultation', 'previous_site'), name='siteoutcome_once_per_previous_site', violation_error_message='This earlier site is already carried into this follow-up.'), models.CheckConstraint(condition=models.Q(models.Q(('outcome', ''), ('outcome_on__isnull', True)), models.Q(models.Q(('outcome', ''), _negated=True), ('outcome_on__isnull', False)), _connector='OR'), name='siteoutcome_outcome_has_date', violation_error_message='An outcome is recorded with the date it was seen.')],
            },
        ),
        migrations.RunPython(install_outcome_triggers, uninstall_outcome_triggers),
    ]
