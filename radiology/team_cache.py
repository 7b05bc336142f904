"""The department's rooms and clinical staff with their calendars, kept in each process, for
a booking over the API that names its team without reading it.

A booking or a move that names its room and people read them (with the room's units and the
people's names) in a query of its own, a four-table join that took longer to build than to
run. Rooms and staff change a few times a week. Every change to a room, a staff member, a
calendar (scheduling resource), a room's units or a user bumps a counter in the same
transaction (triggers, migration 0031_team_version), and the API's token lookup fetches the
counter with the token (security.tokens), as for the procedure catalog (catalog_cache): a
process answers from the copy it read at that counter and reads again when it moved. A
change takes effect on the next request, as if nothing were kept.

Callers get their own copies (a kept instance is never handed out to be changed).
"""

import copy
import threading
from datetime import date

from django.db.models import F, Q

from radiology.services.day_version import counter_expression
from scheduling.models import Resource

# The counter's key in radiology_dayversion (catalog_cache.CATALOG_DAY is 0001-01-03).
TEAM_DAY = date(1, 1, 4)

_kept: dict[str, tuple[int, dict]] = {}
_lock = threading.Lock()


def counter():
    """The team's counter as an annotation, for a query that fetches it along with something else."""
    return counter_expression(TEAM_DAY)


def read(where: Q) -> dict[tuple[str, int], object]:
    """{("room", pk): Room, ("staff", pk): StaffMember} of the resources `where` selects, each
    with its calendar; a room with its units' slugs (slots.room_has_unit reads them there),
    a staff member with its user."""
    found = {}
    # A room's units ride along, a row each: a join compiles in half the time of a subquery
    # that aggregates them.
    resources = Resource.objects.filter(where).select_related("room", "staff_member__user")
    for resource in resources.annotate(unit_slug=F("capabilities__slug")):
        room, member = getattr(resource, "room", None), getattr(resource, "staff_member", None)
        if room is not None:
            room = found.setdefault(("room", room.pk), room)
            room._unit_slugs = getattr(room, "_unit_slugs", set()) | {resource.unit_slug} - {None}
        if member is not None:
            found["staff", member.pk] = member
    return found


def named(room_id: int | None, staff_ids, *, version: int | None) -> dict[tuple[str, int], object]:
    """read() of this room and these people: from the process's copy of the whole team as
    it stood at `version` (or later: read after the counter, a newer team only causes a
    reload next time); read from the database when there is no version (no token)."""
    if version is None:
        where = Q(room__pk=room_id) if room_id else Q(pk__in=[])
        if staff_ids:
            where |= Q(staff_member__pk__in=list(staff_ids))
        return read(where)
    kept = _kept.get("team")
    if kept is None or kept[0] != version:
        kept = (version, read(Q(room__isnull=False) | Q(staff_member__isnull=False)))
        with _lock:
            _kept["team"] = kept
    team = kept[1]
    wanted = ([("room", room_id)] if room_id else []) + [("staff", pk) for pk in staff_ids]
    return {key: copy.copy(team[key]) for key in wanted if key in team}


def forget() -> None:
    with _lock:
        _kept.clear()
