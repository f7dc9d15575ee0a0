"""Formerly loaded the catalogue from the live treatments.catalogue module.

The catalogue's missing rows are now created by a ``post_migrate`` receiver
(treatments.reference_data), which never overwrites a text the clinic edited; this migration
stays, empty, so that the migration history of existing databases is unchanged.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("treatments", "0002_roles")]

    operations = []
