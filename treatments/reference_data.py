"""Keep the reference data in the database in step with the code, after every ``migrate``.

The three roles get exactly the permissions of ``treatments.roles``; the treatment catalogue and
the handouts get the rows of ``treatments.catalogue`` that are missing. A text the clinic edited
in the admin is never overwritten: after the first load, the texts belong to the clinic (a text
change of ours ships as a data migration that replaces only unedited words, as 0007 does).

Connected to ``post_migrate`` in ``TreatmentsConfig.ready()``, so a new database, a test
database and a flushed one all get the same roles and catalogue, without data migrations that
import live modules.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from treatments.catalogue import HANDOUTS, TREATMENT_CATALOGUE
from treatments.roles import ROLE_PERMISSIONS

LIST_FIELDS = ("patient_do", "patient_dont", "patient_call_us")


def sync_roles() -> None:
    """Each role group with exactly its permissions (groups are created when missing)."""
    # Permissions are made per app after its migrations; a role may name another app's.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [tuple(code.split(".")) for code in codes]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in wanted
        ]
        group.permissions.set(permissions)


def sync_catalogue() -> None:
    """Create the treatments and handouts that are missing; never change an existing one."""
    Treatment = global_apps.get_model("treatments", "Treatment")
    Handout = global_apps.get_model("treatments", "Handout")
    for position, entry in enumerate(TREATMENT_CATALOGUE, start=1):
        fields = {key: value for key, value in entry.items() if key != "code"}
        for key in LIST_FIELDS:
            fields[key] = "\n".join(fields[key])
        Treatment.objects.get_or_create(
            code=entry["code"], defaults=fields | {"display_order": position}
        )
    for handout in HANDOUTS:
        Handout.objects.get_or_create(
            slug=handout["slug"],
            defaults={"title": handout["title"], "body": "\n\n".join(handout["body"])},
        )


def sync_reference_data(sender, using="default", **kwargs) -> None:
    """The ``post_migrate`` receiver: roles and catalogue, in one transaction."""
    with transaction.atomic(using=using):
        sync_roles()
        sync_catalogue()
