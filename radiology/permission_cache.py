"""A user's permissions for the day list's one-minute poll, for one small query.

A 304 answer's cost is its round trips and the database's planning of them. Permissions
change rarely, and every change to a user's groups, a group's permissions or a user's own
permissions bumps a counter in the same transaction (migration 0017_permission_version).
So each process keeps each user's permission names with the counter they were read at;
a request reads the counter (together with the day's fingerprint: one query) and reloads
only when it moved. A role change therefore takes effect on the next request, as with
Django's own per-request cache, which this fills (`_perm_cache`, read by
`permission_required` and `user.get_all_permissions()`).

Superusers, inactive and anonymous users take Django's own path.
"""

import threading
from datetime import date

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from radiology.services.day_version import counter_expression, counter_sql

# The counter's key in radiology_dayversion (see also day_version.REFERENCE_DAY).
PERMISSIONS_DAY = date(1, 1, 2)
MAX_USERS = 5_000

_kept: dict[int, tuple[int, frozenset[str]]] = {}
_names: dict[int, str] = {}  # permission id -> "app_label.codename"; permissions come from migrations
_lock = threading.Lock()


def _permission_ids(user) -> list[int]:
    """The user's own and her groups' permissions, as ModelBackend reads them."""
    mine = Permission.objects.filter(Q(user=user) | Q(group__user=user))
    return list(mine.order_by().values_list("id", flat=True).distinct())


def _load(user) -> frozenset[str]:
    ids = _permission_ids(user)
    if any(i not in _names for i in ids):
        names = Permission.objects.values_list("id", "content_type__app_label", "codename")
        with _lock:
            _names.update({pk: f"{app}.{codename}" for pk, app, codename in names})
    return frozenset(_names[i] for i in ids if i in _names)


VERSION_SQL = counter_sql(PERMISSIONS_DAY)


def permissions_counter() -> RawSQL:
    """This counter fetched along (see counter_expression): then preload_permissions(user,
    version=…) costs no query at all."""
    return counter_expression(PERMISSIONS_DAY)


def preload_permissions(user, *, along: tuple[str, list] | None = None, version: int | None = None):
    """Fill the user's permission cache. `along` is an SQL expression of ours and its
    parameters, fetched in the same round trip as the permissions counter (the day list's
    poll asks for its fingerprint this way); its value is returned, or None when nothing
    was fetched. A `version` already read (permissions_counter()) saves the round trip."""
    if not user.is_authenticated or not user.is_active or user.is_superuser or hasattr(user, "_perm_cache"):
        return None
    extra = None
    if version is None:
        sql = f"SELECT ({VERSION_SQL[0]})"
        params: list = [*VERSION_SQL[1]]
        if along:
            sql += f", {along[0]}"
            params += along[1]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        version, extra = int(row[0]), (row[1] if along else None)
    kept = _kept.get(user.pk)
    if kept is None or kept[0] != version:
        # Read after the counter: permissions newer than their counter only cause a reload.
        kept = (version, _load(user))
        with _lock:
            if len(_kept) >= MAX_USERS:
                _kept.clear()
            _kept[user.pk] = kept
    user._perm_cache = set(kept[1])
    return extra


def forget() -> None:
    with _lock:
        _kept.clear()
        _names.clear()
