"""Formerly created the role groups from the live treatments.roles module.

Roles are now kept in step by a ``post_migrate`` receiver (treatments.reference_data), which
sets each role's permissions after every migrate; this migration stays, empty, so that the
migration history of existing databases is unchanged.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = []
