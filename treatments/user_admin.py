"""The users page of the Django admin, as a Clinic admin may use it.

A Clinic admin manages users and gives them the three roles (groups); only a superuser may grant
superuser status, raw permissions or any other group, or change a user who holds one of those
(a superuser included: no password change, no demotion).
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group

from treatments import roles

ROLE_NAMES = (roles.DERMATOLOGIST, roles.CLINIC_STAFF, roles.CLINIC_ADMIN)
# Fields only a superuser may see in a form and set.
SUPERUSER_ONLY_FIELDS = frozenset({"is_superuser", "user_permissions"})


def holds_more_than_a_role(user) -> bool:
    """Whether ``user`` has powers beyond the three roles: superuser status, a permission of
    their own, or a group that is not one of the roles."""
    return (
        user.is_superuser
        or user.user_permissions.exists()
        or user.groups.exclude(name__in=ROLE_NAMES).exists()
    )


class ClinicUserAdmin(UserAdmin):
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, options | {"fields": [f for f in options["fields"]
                                         if f not in SUPERUSER_ONLY_FIELDS]})
            for name, options in fieldsets
        ]  # fmt: skip

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=ROLE_NAMES)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and holds_more_than_a_role(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and holds_more_than_a_role(obj):
            return False
        return super().has_delete_permission(request, obj)


User = get_user_model()
admin.site.unregister(User)
admin.site.register(User, ClinicUserAdmin)
