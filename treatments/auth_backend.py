"""The signed-in user and their role permissions read in one query, instead of Django's three.

Django's ModelBackend reads the request's user in one query, then, the first time a page checks
a permission, the user's own permissions and their groups' permissions in two more. Here the
user's row comes with their permissions aggregated into one column: every page saves two round
trips, and the query is written once per process rather than built by the ORM on each request
(building it cost more than running it). Nothing is cached beyond the request (the user object
lives for one request), so a revoked role or a deactivated account takes effect on the user's
next request, as before.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import Q

from milia_clinic.prepared import server_side

# The permissions column: "app_label.codename" joined by this (neither part can hold it).
_SEPARATOR = ","
# The same aggregate under each database's name for it.
_JOIN_FUNCTION = {"postgresql": "string_agg", "sqlite": "group_concat"}


@cache
def _user_with_permissions_sql(vendor: str) -> str:
    """The user's row and a column ``role_permissions``: their own and their groups'
    permissions, NULL when they have none."""
    user = get_user_model()
    own = user.user_permissions.through._meta
    member = user.groups.through._meta
    granted = Group.permissions.through._meta

    def column(meta, model) -> str:
        return meta.get_field(model._meta.model_name).column

    # Every name in the SQL comes from the models' metadata, none from input; the user's id is
    # the query's one parameter.
    permission_ids = (
        f"SELECT {column(own, Permission)} FROM {own.db_table}"  # nosec B608
        f" WHERE {column(own, user)} = u.{user._meta.pk.column}"
        f" UNION SELECT g.{column(granted, Permission)} FROM {granted.db_table} g"
        f" JOIN {member.db_table} m ON m.{column(member, Group)} = g.{column(granted, Group)}"
        f" WHERE m.{column(member, user)} = u.{user._meta.pk.column}"
    )
    joined = f"{_JOIN_FUNCTION[vendor]}(t.app_label || '.' || p.codename, '{_SEPARATOR}')"
    # The columns by name, not u.*: a column added by a migration would change what a statement
    # prepared before it gives, which PostgreSQL refuses ("cached plan must not change result
    # type") on every connection that prepared it.
    columns = ", ".join(f"u.{field.column}" for field in user._meta.concrete_fields)
    return (
        f"SELECT {columns}, (SELECT {joined} FROM {Permission._meta.db_table} p"  # nosec B608
        f" JOIN {ContentType._meta.db_table} t ON t.id = p.content_type_id"
        f" WHERE p.id IN ({permission_ids})) AS role_permissions"
        f" FROM {user._meta.db_table} u WHERE u.{user._meta.pk.column} = %s"
    )


class RolePermissionBackend(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager
        sql = _user_with_permissions_sql(connections[users.db].vendor)
        # Prepared once per connection on PostgreSQL: planning this query took it 0.3 ms.
        user = next(iter(users.raw(server_side(sql, users.db), [user_id])), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        if not user.is_superuser:  # a superuser holds every permission: read when asked
            held = user.role_permissions
            user._perm_cache = set(held.split(_SEPARATOR)) if held else set()
        return user

    def get_all_permissions(self, user_obj, obj=None):
        """For a user not read by get_user (a user object of a service, a test): the same
        permissions, read in one query rather than two."""
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
