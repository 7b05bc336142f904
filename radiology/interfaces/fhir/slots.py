"""Schedules and slots, computed from the calendar engine.

A Schedule is the calendar of one room or one clinical staff member. Its Slots over a
window are:
- free: each start at which a galactogram could be booked with this room (or this
  person) — the same slot search the schedulers use, so working hours, time off, other
  bookings and the minimum lead time hold; starts lie on the 15-minute grid and last the
  procedure's default duration, so free slots of one schedule may overlap;
- busy: the resource's active reservations (booked time, room turnover included);
- busy-unavailable: its time off, maintenance and closures.
Slot ids say where they come from, so a read finds the same slot again:
free-<schedule>-<UTC start as YYYYMMDDTHHMMZ>, busy-<reservation>, off-<unavailability>.
"""

import re
from datetime import UTC, datetime, timedelta

from radiology.interfaces.fhir.mapping import ScheduleOf, SlotItem
from radiology.models import Room, StaffMember
from radiology.services.slots import find_galactogram_slots
from scheduling.clinic_time import clinic_zone
from scheduling.models import Reservation, Unavailability

MAX_WINDOW_DAYS = 31
# More free starts than a 31-day window of one room can hold on the 15-minute grid.
MAX_FREE = 31 * 24 * 4
FREE_ID = re.compile(r"^free-(?P<schedule>(room|staff)-\d+)-(?P<start>\d{8}T\d{4})Z$")


def schedules() -> list[ScheduleOf]:
    """Every room and every clinical staff member, in two queries."""
    rooms = [ScheduleOf(room=r) for r in Room.objects.select_related("resource").order_by("name", "pk")]
    staff = StaffMember.objects.filter(role__in=StaffMember.CLINICAL_ROLES).select_related("user", "resource")
    return rooms + [ScheduleOf(member=m) for m in staff.order_by("role", "user__last_name", "pk")]


def _free(of: ScheduleOf, start: datetime, end: datetime, procedure, limit: int = MAX_FREE) -> list[SlotItem]:
    zone = clinic_zone()
    narrow = {}
    if of.room:
        narrow["room"] = of.room
    elif of.member.role == StaffMember.Role.RADIOLOGIST:
        narrow["radiologist"] = of.member
    else:
        narrow["technologist"] = of.member
    options = find_galactogram_slots(
        procedure=procedure,
        duration_minutes=procedure.default_duration_minutes,
        start_date=start.astimezone(zone).date(),
        end_date=end.astimezone(zone).date(),
        earliest=start,
        limit=limit,
        **narrow,
    )
    return [
        SlotItem(
            id=f"free-{of.id}-{o.start.astimezone(UTC):%Y%m%dT%H%M}Z",
            schedule=of,
            status="free",
            start=o.start,
            end=o.end,
        )
        for o in options
        if o.start < end
    ]


def slots_between(chosen: list[ScheduleOf], start: datetime, end: datetime, *, statuses, procedure) -> list[SlotItem]:
    """The slots of the chosen schedules that start in [start, end), by start time."""
    by_resource = {s.resource.pk: s for s in chosen}
    items: list[SlotItem] = []
    if "free" in statuses:
        for of in chosen:
            items += _free(of, start, end, procedure)
    if "busy" in statuses:
        rows = Reservation.objects.filter(resource_id__in=by_resource, active=True, start__gte=start, start__lt=end)
        items += [
            SlotItem(id=f"busy-{pk}", schedule=by_resource[rid], status="busy", start=s, end=e)
            for pk, rid, s, e in rows.values_list("pk", "resource_id", "start", "end")
        ]
    if "busy-unavailable" in statuses:
        rows = Unavailability.objects.filter(resource_id__in=by_resource, start__lt=end, end__gt=start)
        items += [_unavailable(u, by_resource[u.resource_id]) for u in rows]
    return sorted(items, key=lambda i: (i.start, i.schedule.id, i.id))


def _unavailable(row: Unavailability, of: ScheduleOf) -> SlotItem:
    # The kind (time off, maintenance, closure) but not the free-text reason, which may be personal.
    return SlotItem(
        id=f"off-{row.pk}",
        schedule=of,
        status="busy-unavailable",
        start=row.start,
        end=row.end,
        comment=row.get_kind_display(),
    )


def slot_by_id(slot_id: str, *, procedure) -> SlotItem | None:
    by_resource = {s.resource.pk: s for s in schedules()}
    kind, _, rest = slot_id.partition("-")
    if kind == "busy" and rest.isdigit():
        row = Reservation.objects.filter(pk=int(rest), active=True).first()
        if row and row.resource_id in by_resource:
            return SlotItem(slot_id, by_resource[row.resource_id], "busy", row.start, row.end)
    elif kind == "off" and rest.isdigit():
        row = Unavailability.objects.filter(pk=int(rest)).first()
        if row and row.resource_id in by_resource:
            return _unavailable(row, by_resource[row.resource_id])
    elif match := FREE_ID.match(slot_id):
        of = next((s for s in by_resource.values() if s.id == match["schedule"]), None)
        start = datetime.strptime(match["start"], "%Y%m%dT%H%M").replace(tzinfo=UTC)
        if of is not None:
            found = _free(of, start, start + timedelta(minutes=1), procedure, limit=1)
            return found[0] if found and found[0].start == start else None
    return None
