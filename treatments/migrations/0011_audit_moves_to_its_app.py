"""The audit trail's models move to the ``audit`` app (issue 12): removed from this app's state
only. The tables (``treatments_auditevent``, ``treatments_auditcheckpoint``), their rows and the
append-only triggers of 0005 and 0008 stay as they are; ``audit``'s 0001 takes the models over
with the same ``db_table`` and moves their content types (and so the granted permissions)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0010_ehr"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEvent"),
                migrations.DeleteModel(name="AuditCheckpoint"),
            ],
            database_operations=[],
        ),
    ]
