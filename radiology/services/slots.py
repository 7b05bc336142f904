"""Where a galactogram fits: its team, the slot search, and the fit at one start.

A galactogram needs one room with the procedure's capability, one radiologist and one
technologist or nurse, together, for 30 or 45 minutes (the room also for its turnover), and
never over the patient's other appointments. This module turns that into the scheduling
engine's requirements and asks the engine only through its public calls (find_slots, fit);
booking and rescheduling reserve what fit_team returns.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.utils import timezone

from monitoring.metrics import record_booking_conflict
from procedures.models import Procedure
from radiology.errors import ServiceRefusal
from radiology.models import ACTIVE_STATES, Appointment, Patient, Room, StaffMember
from scheduling import services as calendar
from scheduling.clinic_time import clinic_zone, local_day_bounds


@dataclass(frozen=True)
class SlotOption:
    start: datetime
    end: datetime
    room: Room
    radiologist: StaffMember
    technologist: StaffMember


@dataclass(frozen=True)
class TeamFit:
    """A team free at one start, and the (resource, start, end) holds that reserve it."""

    option: SlotOption
    holds: tuple
    expired_hold_in_way: bool = True  # reserve() releases it first (scheduling.reserve)


# --- the team --------------------------------------------------------------------------


def room_has_unit(room: Room, procedure: Procedure) -> bool:
    """Whether the room has the procedure's unit; read once per room object (the booking asks
    before its transaction and the fit again inside it)."""
    if not hasattr(room, "_unit_slugs"):
        room._unit_slugs = set(room.resource.capabilities.values_list("slug", flat=True))
    return procedure.room_capability in room._unit_slugs


def _rooms(procedure: Procedure, only: Room | None = None) -> list[Room]:
    if only is not None and only.resource.active:
        # The one asked for, already loaded with its resource: no query unless its units are unknown.
        return [only] if room_has_unit(only, procedure) else []
    rooms = Room.objects.select_related("resource").filter(
        resource__active=True, resource__capabilities__slug=procedure.room_capability
    )
    if only is not None:
        rooms = rooms.filter(pk=only.pk)
    return list(rooms.order_by("name"))


def _staff(*, radiologist, technologist) -> tuple[list[StaffMember], list[StaffMember]]:
    """The candidates for each role: the one named (if active and of that role), or every
    active one of it, in id order; only the roles left open are read."""
    named = {"radiologist": radiologist, "technologist": technologist}
    open_roles = []
    if radiologist is None:
        open_roles.append(StaffMember.Role.RADIOLOGIST)
    if technologist is None:
        open_roles += StaffMember.ASSISTING_ROLES
    members = []
    if open_roles:
        staff = StaffMember.objects.select_related("resource", "user").filter(
            role__in=open_roles, resource__active=True
        )
        members = list(staff.order_by("pk"))
    members += [m for m in named.values() if m is not None and m.resource.active]
    radiologists = [m for m in members if m.role == StaffMember.Role.RADIOLOGIST and radiologist in (None, m)]
    assistants = [m for m in members if m.role in StaffMember.ASSISTING_ROLES and technologist in (None, m)]
    return radiologists, assistants


def _requirements(procedure, *, room=None, radiologist=None, technologist=None):
    rooms = _rooms(procedure, room)
    radiologists, assistants = _staff(radiologist=radiologist, technologist=technologist)
    by_resource = {r.resource_id: r for r in [*rooms, *radiologists, *assistants]}
    requirements = [
        calendar.Requirement("room", [r.resource for r in rooms], extra_minutes=procedure.turnover_minutes),
        calendar.Requirement("radiologist", [s.resource for s in radiologists]),
        calendar.Requirement("technologist", [s.resource for s in assistants]),
    ]
    return requirements, by_resource


def _option(slot, by_resource) -> SlotOption:
    return SlotOption(
        start=slot.start,
        end=slot.end,
        room=by_resource[slot.resources["room"].pk],
        radiologist=by_resource[slot.resources["radiologist"].pk],
        technologist=by_resource[slot.resources["technologist"].pk],
    )


def patient_busy(patient: Patient | None, start, end, exclude: Appointment | None = None):
    """The patient's other active appointments overlapping [start, end), as (start, end)."""
    if patient is None:
        return []
    others = Appointment.objects.filter(patient=patient, status__in=ACTIVE_STATES, start__lt=end, end__gt=start)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return list(others.values_list("start", "end"))


def check_patient_free(patient, start, end, exclude=None):
    patient_clash(patient, start, end, patient_busy(patient, start, end, exclude))


def patient_clash(patient, start, end, others) -> None:
    """Refuse a time that overlaps one of her other (start, end) appointments."""
    if any(s < end and start < e for s, e in others):
        raise _invalid("start", f"{patient.full_name} already has an appointment at that time.")


def _invalid(field: str, message: str) -> ServiceRefusal:
    return ServiceRefusal(message, code="invalid", fields={field: message})


# --- search ------------------------------------------------------------------------------


def find_galactogram_slots(
    *,
    procedure: Procedure,
    duration_minutes: int,
    start_date: date,
    end_date: date,
    radiologist: StaffMember | None = None,
    patient: Patient | None = None,
    limit: int = 20,
    now: datetime | None = None,
    exclude_appointment: Appointment | None = None,
    earliest: datetime | None = None,
    short_notice: bool = False,
    room: Room | None = None,
    technologist: StaffMember | None = None,
) -> list[SlotOption]:
    """The earliest free starts between two local dates (inclusive), never overlapping the
    patient's other appointments, and never inside the procedure's minimum lead time unless
    `short_notice` (booking one then needs a recorded reason). `room` and `technologist`
    narrow the search to one room or one technologist/nurse (FHIR Slot and $find)."""
    now = now or timezone.now()
    not_before = now if short_notice else now + timedelta(hours=procedure.min_lead_time_hours)
    if earliest is not None:
        not_before = max(not_before, earliest)
    start, _ = local_day_bounds(start_date)
    _, end = local_day_bounds(end_date)
    requirements, by_resource = _requirements(procedure, room=room, radiologist=radiologist, technologist=technologist)
    slots = calendar.find_slots(
        requirements=requirements,
        start=start,
        end=end,
        duration=timedelta(minutes=duration_minutes),
        limit=limit,
        not_before=not_before,
        exclude_holder=exclude_appointment.holder if exclude_appointment else None,
        extra_busy=patient_busy(patient, start, end, exclude_appointment),
    )
    return [_option(slot, by_resource) for slot in slots]


def next_free_slots(*, procedure, duration_minutes, after: datetime, patient=None, exclude=None, limit=5):
    """Suggestions after a lost race: the next free starts after the wanted one, within 4 weeks."""
    zone = clinic_zone()
    day = max(after.astimezone(zone).date(), timezone.now().astimezone(zone).date())
    return find_galactogram_slots(
        earliest=after,
        procedure=procedure,
        duration_minutes=duration_minutes,
        start_date=day,
        end_date=day + timedelta(days=28),
        patient=patient,
        limit=limit,
        exclude_appointment=exclude,
    )


def taken(procedure, duration_minutes, start, patient, exclude=None) -> ServiceRefusal:
    """The "just taken" refusal, with the next free times to offer instead."""
    suggestions = next_free_slots(
        procedure=procedure, duration_minutes=duration_minutes, after=start, patient=patient, exclude=exclude
    )
    record_booking_conflict()  # /metrics (h-ops)
    return ServiceRefusal.just_taken(suggestions)


# --- one start -------------------------------------------------------------------------


def fit_team(procedure, start, duration_minutes, *, room, radiologist, technologist, exclude_holder=None) -> TeamFit:
    """The first free room, radiologist and technologist/nurse at exactly `start` (the
    named ones when given), in one call to the engine. Raises SlotTaken when only other
    bookings are in the way (a conflict: the caller offers other times, or tries again),
    or a refusal naming who or what does not work or is away then."""
    requirements, by_resource = _requirements(procedure, room=room, radiologist=radiologist, technologist=technologist)
    answer = calendar.fit(
        requirements=requirements,
        start=start,
        duration=timedelta(minutes=duration_minutes),
        exclude_holder=exclude_holder,
    )
    if answer:
        return TeamFit(
            option=_option(answer.slot, by_resource), holds=answer.holds, expired_hold_in_way=answer.expired_hold_in_way
        )
    if answer.refusal == calendar.Refusal.TAKEN:
        raise calendar.SlotTaken
    named = {"room": room, "radiologist": radiologist, "technologist": technologist}[answer.requirement]
    why = "outside working hours" if answer.refusal == calendar.Refusal.OUTSIDE_HOURS else "time off or closure"
    if named is not None:
        raise _invalid(answer.requirement, f"{named} is not available then ({why}).")
    kind = answer.requirement.replace("technologist", "technologist or nurse")
    if answer.refusal == calendar.Refusal.OUTSIDE_HOURS:
        raise _invalid("start", f"No {kind} works then.")
    raise _invalid("start", f"No {kind} is available then ({why}).")


# --- the same start, other people (re-staffing) ------------------------------------------

STAFF_ROLES = ("radiologist", "technologist")


def free_replacements(appointment: Appointment, role: str) -> list[StaffMember]:
    """Who of `role` ("radiologist" or "technologist", the latter meaning technologist or nurse)
    could take the appointment at its own start: every one the engine's fit finds free then
    (the appointment's own reservations aside), with its room kept and the other role left to
    the slot search. The one assigned now is not listed."""
    kept = {"room": appointment.room, "radiologist": None, "technologist": None}
    requirements, by_resource = _requirements(appointment.procedure, **kept)
    wanted = next(r for r in requirements if r.label == role)
    current = getattr(appointment, f"{role}_id")
    free = []
    for resource in wanted.candidates:
        member = by_resource[resource.pk]
        if member.pk == current:
            continue
        narrowed = [replace(r, candidates=[resource]) if r.label == role else r for r in requirements]
        answer = calendar.fit(
            requirements=narrowed,
            start=appointment.start,
            duration=timedelta(minutes=appointment.duration_minutes),
            exclude_holder=appointment.holder,
        )
        if answer:
            free.append(member)
    return free


def replacement_team(appointment: Appointment) -> TeamFit | None:
    """The appointment's team at its own start with each person who cannot be there then (time
    off, outside their hours) replaced by the first free one of the same role, as the slot
    search picks; None when its room cannot be there, when nobody free can replace them, or
    when nobody needs replacing."""
    named = {"room": appointment.room, "radiologist": appointment.radiologist, "technologist": appointment.technologist}
    for _ in range(len(STAFF_ROLES) + 1):  # at most each role opened once, then the answer
        try:
            team = fit_team(
                appointment.procedure,
                appointment.start,
                appointment.duration_minutes,
                exclude_holder=appointment.holder,
                **named,
            )
        except calendar.SlotTaken:
            return None  # the free ones of a role to replace are all booked then
        except ServiceRefusal as refusal:
            # fit_team names the named resource that cannot be there; open that role and ask again.
            role = next((name for name in refusal.fields if name in STAFF_ROLES and named[name] is not None), None)
            if role is None:
                return None
            named[role] = None
            continue
        option = team.option
        if (option.radiologist.pk, option.technologist.pk) == (appointment.radiologist_id, appointment.technologist_id):
            return None
        return team
    return None
