"""Create the three role groups with the permissions of treatments.roles."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

def create_roles(apps, schema_editor):
    # The role table is read from treatments.roles; a later change of a role's reach adds a
    # migration that calls this function again (it sets, rather than adds, the permissions).
    from treatments.roles import ROLE_PERMISSIONS as current

    # Permissions are normally made after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in current.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            if not _model_exists(apps, app_label, codename):
                # A model that a later migration creates, and grants the permission of.
                continue
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)


def _model_exists(apps, app_label, codename) -> bool:
    """Whether the model of a default permission (``view_auditevent``) exists at this point."""
    try:
        apps.get_model(app_label, codename.split("_", 1)[1])
    except LookupError:
        return False
    return True


def remove_roles(apps, schema_editor):
    from treatments.roles import ROLE_PERMISSIONS as current

    apps.get_model("auth", "Group").objects.filter(name__in=list(current)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
