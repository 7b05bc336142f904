"""One query for a user's permissions, instead of Django's two (own + groups).

For pages polled every minute (the day list): a 304 answer's cost is its round trips to the
database. This fills the same per-request cache ModelBackend reads (`_perm_cache`), so
`permission_required` and `user.get_all_permissions()` find it; nothing is kept across
requests, so a role change takes effect on the next request as before.
"""

from functools import cache

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
        f"SELECT 'p', ct.app_label || '.' || p.codename FROM {Permission._meta.db_table} p "  # noqa: S608
        f"JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id WHERE p.id IN ("
        f"SELECT permission_id FROM {own.db_table} WHERE {own.get_field(user._meta.model_name).column} = %s "
        f"UNION SELECT g.permission_id FROM {granted.db_table} g "
        f"JOIN {member.db_table} m ON m.group_id = g.group_id "
        f"WHERE m.{member.get_field(user._meta.model_name).column} = %s)"
    )


def preload_permissions(user, *, along: tuple[str, list] | None = None):
    """Fill the user's permission cache in one query. `along` is an SQL expression of ours
    and its parameters, fetched in the same round trip (the day list's poll asks for its
    fingerprint this way: a 304 then costs session, user and this one query); its value is
    returned, or None when nothing was fetched (superusers and anonymous users take
    Django's own path)."""
    if not user.is_authenticated or not user.is_active or user.is_superuser or hasattr(user, "_perm_cache"):
        return None
    sql, params = _sql(), [user.pk, user.pk]
    if along:
        sql += f" UNION ALL SELECT 'x', {along[0]}"
        params += along[1]
    extra = None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        perms = set()
        for kind, value in cursor.fetchall():
            if kind == "p":
                perms.add(value)
            else:
                extra = value
    user._perm_cache = perms
    return extra
