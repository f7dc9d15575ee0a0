"""Role permissions read in one query instead of Django's two.

Django's ModelBackend reads a user's own permissions and their groups' permissions in two
queries, the first time a request checks one. Roles here are groups, so both are read in one:
every role-checked page saves a query. Nothing is cached beyond the request (the user object
lives for one request), so a revoked role takes effect on the user's next request, as before.
Pages that check no permission (the JSON API) read none.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class RolePermissionBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                permissions = Permission.objects.all()
            else:
                permissions = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = permissions.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache
