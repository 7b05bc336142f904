"""One query for a user's permissions, instead of Django's two (own + groups).

For pages polled every minute (the day list): the permission check is most of the cost of
a 304 answer, and on a busy machine most of that is building ORM queries. This fills the
same per-request cache ModelBackend reads (`_perm_cache`), so `permission_required` and
`user.get_all_permissions()` find it; nothing is kept across requests, so a role change takes
effect on the next request as before.
"""

from functools import cache, wraps

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


@cache
def _sql() -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model()
    own = user.user_permissions.through._meta
    member = user.groups.through._meta
    granted = Group.permissions.through._meta
    # Table and column names come from the models, never from input.
    return (
        f"SELECT ct.app_label, p.codename FROM {Permission._meta.db_table} p "  # noqa: S608
        f"JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id WHERE p.id IN ("
        f"SELECT permission_id FROM {own.db_table} WHERE {own.get_field(user._meta.model_name).column} = %s "
        f"UNION SELECT g.permission_id FROM {granted.db_table} g "
        f"JOIN {member.db_table} m ON m.group_id = g.group_id "
        f"WHERE m.{member.get_field(user._meta.model_name).column} = %s)"
    )


def preload_permissions(user) -> None:
    if not user.is_authenticated or not user.is_active or user.is_superuser or hasattr(user, "_perm_cache"):
        return  # Django's own path (superusers have every permission anyway)
    with connection.cursor() as cursor:
        cursor.execute(_sql(), [user.pk, user.pk])
        user._perm_cache = {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}


def with_permissions_preloaded(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        preload_permissions(request.user)
        return view(request, *args, **kwargs)

    return wrapper
