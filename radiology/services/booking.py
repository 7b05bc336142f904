"""Booking, rescheduling, cancelling: the scheduler's services.

A galactogram needs one room with the procedure's capability, one radiologist and one
technologist or nurse, together, for 30 or 45 minutes (the room also for its turnover).
Each service does its whole change in one transaction: the appointment, its
reservations, its log row and its reminder plan commit together or not at all.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from monitoring.metrics import record_booking_conflict
from procedures.models import Procedure
from procedures.reasons import CancelReason, reason_text
from radiology.errors import ServiceRefusal
from radiology.models import (
    ACTIVE_STATES,
    UPCOMING,
    Appointment,
    AppointmentStatus,
    AppointmentTransition,
    Order,
    Patient,
    Room,
    StaffMember,
)
from radiology.services import hl7_events, order_lifecycle, reminders
from radiology.services.action_table import ACTIONS
from radiology.services.transitions import check_permission, lock_appointment, perform_transition
from scheduling import services as calendar
from scheduling.clinic_time import clinic_zone, local_day_bounds

BOOKING = ACTIONS["book"]


@dataclass(frozen=True)
class SlotOption:
    start: datetime
    end: datetime
    room: Room
    radiologist: StaffMember
    technologist: StaffMember


# --- candidates and search ---------------------------------------------------------------


def _rooms(procedure: Procedure, only: Room | None = None) -> list[Room]:
    rooms = Room.objects.select_related("resource").filter(
        resource__active=True, resource__capabilities__slug=procedure.room_capability
    )
    if only is not None:
        rooms = rooms.filter(pk=only.pk)
    return list(rooms.order_by("name"))


def _requirements(procedure, *, room=None, radiologist=None, technologist=None):
    rooms = _rooms(procedure, room)
    staff = StaffMember.objects.select_related("resource", "user").filter(
        role__in=StaffMember.CLINICAL_ROLES, resource__active=True
    )
    radiologists, assistants = [], []
    for member in staff.order_by("pk"):
        if member.role == StaffMember.Role.RADIOLOGIST and radiologist in (None, member):
            radiologists.append(member)
        elif member.role in StaffMember.ASSISTING_ROLES and technologist in (None, member):
            assistants.append(member)
    by_resource = {r.resource_id: r for r in [*rooms, *radiologists, *assistants]}
    requirements = [
        calendar.Requirement("room", [r.resource for r in rooms], extra_minutes=procedure.turnover_minutes),
        calendar.Requirement("radiologist", [s.resource for s in radiologists]),
        calendar.Requirement("technologist", [s.resource for s in assistants]),
    ]
    return requirements, by_resource


def _patient_busy(patient: Patient | None, start, end, exclude: Appointment | None = None):
    if patient is None:
        return []
    others = Appointment.objects.filter(patient=patient, status__in=ACTIVE_STATES, start__lt=end, end__gt=start)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return list(others.values_list("start", "end"))


def _options(slots, by_resource) -> list[SlotOption]:
    return [
        SlotOption(
            start=slot.start,
            end=slot.end,
            room=by_resource[slot.resources["room"].pk],
            radiologist=by_resource[slot.resources["radiologist"].pk],
            technologist=by_resource[slot.resources["technologist"].pk],
        )
        for slot in slots
    ]


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
        extra_busy=_patient_busy(patient, start, end, exclude_appointment),
    )
    return _options(slots, by_resource)


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


# --- rules -------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ServiceRefusal:
    return ServiceRefusal(message, code="invalid", fields={field: message})


def coded_reason(choices, code: str, note: str = "") -> str:
    """The text stored with a coded reason; refuses an unknown code or "other" without a note."""
    if code not in choices.values:
        raise _invalid("reason_code", f"Choose a reason: {', '.join(choices.values)}.")
    if code == "other" and not note.strip():
        raise _invalid("note", "Say what the other reason is.")
    return reason_text(choices, code, note)


def _check_request(*, procedure, start, duration_minutes, room, radiologist, technologist, override, now):
    if start is None or timezone.is_naive(start):
        raise _invalid("start", "Give the start time with its time zone (e.g. 2026-12-01T09:00:00-05:00).")
    if duration_minutes not in procedure.allowed_durations:
        allowed = " or ".join(str(d) for d in procedure.allowed_durations)
        raise _invalid("duration", f"A {procedure.name} takes {allowed} minutes.")
    if start <= now:
        raise _invalid("start", "That time is in the past. Choose a time from now on.")
    if start - now < timedelta(hours=procedure.min_lead_time_hours) and not override.strip():
        raise _invalid(
            "lead_time_override_reason",
            f"This is less than {procedure.min_lead_time_hours} hours away, so the patient cannot keep the "
            "no-expression window. Give a reason to book it anyway.",
        )
    if room is not None and not room.resource.capabilities.filter(slug=procedure.room_capability).exists():
        raise _invalid("room", f"{room.name} has no {procedure.room_capability} unit.")
    if radiologist is not None and radiologist.role != StaffMember.Role.RADIOLOGIST:
        raise _invalid("radiologist", f"{radiologist.name} is not a radiologist.")
    if technologist is not None and technologist.role not in StaffMember.ASSISTING_ROLES:
        raise _invalid("technologist", f"{technologist.name} is not a technologist or nurse.")


def _check_not_already_booked(patient, *, now, reason: str) -> None:
    """Two galactograms ahead for one patient are usually a mistake (a referral booked twice):
    refuse unless the scheduler says why, naming the one she has."""
    if reason.strip():
        return
    ahead = (
        Appointment.objects.filter(patient=patient, status__in=[*UPCOMING, AppointmentStatus.CHECKED_IN], end__gt=now)
        .order_by("start")
        .first()
    )
    if ahead is not None:
        message = (
            f"{patient.full_name} already has a galactogram on {ahead.local_start:%a %d %b %Y %H:%M} "
            f"(appointment #{ahead.pk}). Move that one instead, or give a reason to book another."
        )
        raise ServiceRefusal(message, code="invalid", fields={"repeat_booking_reason": message})


def _check_patient_free(patient, start, end, exclude=None):
    if _patient_busy(patient, start, end, exclude):
        raise _invalid("start", f"{patient.full_name} already has an appointment at that time.")


def _choose(procedure, start, duration_minutes, *, room, radiologist, technologist, exclude_holder=None):
    """The first free room, radiologist and technologist/nurse at exactly `start`, or a
    sentence saying which of them is not free."""
    requirements, by_resource = _requirements(procedure, room=room, radiologist=radiologist, technologist=technologist)
    duration = timedelta(minutes=duration_minutes)
    end = start + duration + timedelta(minutes=procedure.turnover_minutes)
    free = calendar.FreeTime(
        [r for req in requirements for r in req.candidates], start, end, exclude_holder=exclude_holder
    )
    slots = calendar.first_fit(requirements=requirements, starts=[start], duration=duration, free=free, limit=1)
    if slots:
        return _options(slots, by_resource)[0]
    # Free but for other bookings: it was (or has just been) taken, a conflict to offer
    # alternatives for. Otherwise the time was never possible: say why.
    candidates = [r for req in requirements for r in req.candidates]
    if calendar.first_fit(
        requirements=requirements,
        starts=[start],
        duration=duration,
        free=calendar.FreeTime(candidates, start, end, with_reservations=False),
        limit=1,
    ):
        raise calendar.SlotTaken
    chosen = {"room": room, "radiologist": radiologist, "technologist": technologist}
    for requirement in requirements:
        held = end if requirement.label == "room" else start + duration
        if not any(free.is_free(r.pk, start, held) for r in requirement.candidates):
            named = chosen[requirement.label]
            if named is not None:
                message = f"{named} is not available then (outside working hours or time off)."
            else:
                message = f"No {requirement.label.replace('technologist', 'technologist or nurse')} works then."
            raise _invalid(requirement.label if named is not None else "start", message)
    raise _invalid("start", "That time is not possible for these people and rooms together.")


def _holds(option: SlotOption, procedure: Procedure):
    room_until = option.end + timedelta(minutes=procedure.turnover_minutes)
    return [
        (option.room.resource, option.start, room_until),
        (option.radiologist.resource, option.start, option.end),
        (option.technologist.resource, option.start, option.end),
    ]


def _taken(procedure, duration_minutes, start, patient, exclude=None) -> ServiceRefusal:
    suggestions = next_free_slots(
        procedure=procedure, duration_minutes=duration_minutes, after=start, patient=patient, exclude=exclude
    )
    record_booking_conflict()  # /metrics (h-ops)
    return ServiceRefusal.just_taken(suggestions)


# --- services ----------------------------------------------------------------------------


def book_appointment(
    *,
    patient: Patient,
    procedure: Procedure,
    start: datetime,
    duration_minutes: int,
    actor,
    room: Room | None = None,
    radiologist: StaffMember | None = None,
    technologist: StaffMember | None = None,
    lead_time_override_reason: str = "",
    repeat_booking_reason: str = "",
    now: datetime | None = None,
    order: Order | None = None,
    side: str = "",
    indication: str = "",
    indication_other: str = "",
) -> Appointment:
    """Book a galactogram: all three resources held together or nothing written. It is
    booked from a waiting `order` of this patient; without one, an order is created from
    what the scheduler entered (side, indication), so every appointment has an accession
    number and a Study Instance UID. A patient who already has a galactogram ahead is booked
    again only with a `repeat_booking_reason` (the existing one is named in the refusal)."""
    check_permission(actor, BOOKING)
    now = now or timezone.now()
    new_order = {"side": side, "indication": indication, "indication_other": indication_other.strip()}
    if order is None:
        order_lifecycle.check_clinical_facts(**new_order)
    _check_request(
        procedure=procedure,
        start=start,
        duration_minutes=duration_minutes,
        room=room,
        radiologist=radiologist,
        technologist=technologist,
        override=lead_time_override_reason,
        now=now,
    )
    # When the scheduler left the room or people open, a rival may take the one we picked
    # between our search and our reservation: try the next free ones before giving up.
    attempts = 1 if (room and radiologist and technologist) else 3
    for attempt in range(attempts):
        try:
            return _book_once(
                patient=patient,
                procedure=procedure,
                start=start,
                duration_minutes=duration_minutes,
                actor=actor,
                room=room,
                radiologist=radiologist,
                technologist=technologist,
                lead_time_override_reason=lead_time_override_reason,
                repeat_booking_reason=repeat_booking_reason,
                now=now,
                order=order,
                new_order=new_order,
            )
        except calendar.SlotTaken:
            if attempt == attempts - 1:
                raise _taken(procedure, duration_minutes, start, patient) from None
    raise AssertionError("unreachable")


def _book_once(
    *,
    patient,
    procedure,
    start,
    duration_minutes,
    actor,
    room,
    radiologist,
    technologist,
    lead_time_override_reason,
    repeat_booking_reason,
    now,
    order,
    new_order,
) -> Appointment:
    with transaction.atomic():
        # Serialise bookings of one patient so two clerks cannot double-book her.
        Patient.objects.select_for_update().filter(pk=patient.pk).exists()
        if order is not None:
            order = order_lifecycle.check_bookable(order=order, patient=patient, procedure=procedure)
        end = start + timedelta(minutes=duration_minutes)
        _check_patient_free(patient, start, end)
        _check_not_already_booked(patient, now=now, reason=repeat_booking_reason)
        option = _choose(
            procedure, start, duration_minutes, room=room, radiologist=radiologist, technologist=technologist
        )
        if order is None:
            order = order_lifecycle.open_order(
                now=now, patient=patient, procedure=procedure, created_by=actor, **new_order
            )
        appointment = Appointment.objects.create(
            order=order,
            patient=patient,
            procedure=procedure,
            start=start,
            end=end,
            duration_minutes=duration_minutes,
            room=option.room,
            radiologist=option.radiologist,
            technologist=option.technologist,
            lead_time_override_reason=lead_time_override_reason.strip(),
            repeat_booking_reason=repeat_booking_reason.strip(),
            booked_by=actor,
        )
        calendar.reserve(holds=_holds(option, procedure), holder=appointment.holder)
        order_lifecycle.follow_appointment(appointment=appointment)
        _log(appointment, "book", AppointmentStatus.BOOKED, actor, now, _booking_note(appointment))
        reminders.on_booked(appointment=appointment, now=now)
        hl7_events.on_booked(appointment=appointment, actor=actor, now=now)
    return appointment


def reschedule_appointment(
    *,
    appointment_id: int,
    start: datetime,
    actor,
    duration_minutes: int | None = None,
    room: Room | None = None,
    radiologist: StaffMember | None = None,
    technologist: StaffMember | None = None,
    lead_time_override_reason: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Move an upcoming appointment: same appointment, new time and/or people, its
    reservations moved and its reminders re-planned; it needs its no-expression reminder
    again, so a reminded appointment steps back to prep sent."""
    check_permission(actor, BOOKING)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            appointment = lock_appointment(appointment_id)
            refusal = ACTIONS["reschedule"].refusal(appointment, now)  # the one rule of when a move is allowed
            if refusal:
                raise ServiceRefusal(refusal)
            procedure = appointment.procedure
            duration_minutes = duration_minutes or appointment.duration_minutes
            _check_request(
                procedure=procedure,
                start=start,
                duration_minutes=duration_minutes,
                room=room,
                radiologist=radiologist,
                technologist=technologist,
                override=lead_time_override_reason,
                now=now,
            )
            end = start + timedelta(minutes=duration_minutes)
            _check_patient_free(appointment.patient, start, end, exclude=appointment)
            option = _choose(
                procedure,
                start,
                duration_minutes,
                room=room,
                radiologist=radiologist,
                technologist=technologist,
                exclude_holder=appointment.holder,
            )
            calendar.move(holder=appointment.holder, holds=_holds(option, procedure), now=now)
            previous_start = appointment.start
            Appointment.objects.filter(pk=appointment.pk).update(
                start=start,
                end=end,
                duration_minutes=duration_minutes,
                room=option.room,
                radiologist=option.radiologist,
                technologist=option.technologist,
                version=appointment.version + 1,
                lead_time_override_reason=lead_time_override_reason.strip() or appointment.lead_time_override_reason,
                reschedule_requested_at=None,
                # Her "I will come" was for the old time; she confirms the new one.
                patient_confirmed_at=None,
                updated_at=now,
            )
            appointment.refresh_from_db()
            moved = _moved_note(previous_start, appointment, note)
            if appointment.status in (AppointmentStatus.PREP_SENT, AppointmentStatus.REMINDED):
                perform_transition(
                    appointment_id=appointment.pk, action="step_back_for_reschedule", actor=actor, note=moved, now=now
                )
                appointment.refresh_from_db()
            else:
                _log(appointment, "reschedule", appointment.status, actor, now, moved)
            reminders.on_rescheduled(appointment=appointment, previous_start=previous_start, now=now)
            hl7_events.on_rescheduled(appointment=appointment, previous_start=previous_start, actor=actor, now=now)
    except calendar.SlotTaken:
        current = Appointment.objects.select_related("procedure", "patient").get(pk=appointment_id)
        raise _taken(
            current.procedure, duration_minutes or current.duration_minutes, start, current.patient, current
        ) from None
    return appointment


def cancel_appointment(
    *, appointment_id: int, actor, reason_code: str, note: str = "", now: datetime | None = None
) -> Appointment:
    """Cancel with a coded reason (procedures.reasons.CancelReason; "other" needs a note): the
    time is freed and pending reminders are withdrawn."""
    reason = coded_reason(CancelReason, reason_code, note)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = perform_transition(
            appointment_id=appointment_id,
            action="cancel",
            actor=actor,
            note=reason,
            now=now,
            fields={"reason_code": reason_code, "reason": reason},
        )
        calendar.release(holder=appointment.holder, now=now)
        reminders.on_cancelled(appointment=appointment, now=now)
        hl7_events.on_cancelled(appointment=appointment, actor=actor, now=now)
    return appointment


def mark_no_show(*, appointment_id: int, actor, now: datetime | None = None) -> Appointment:
    """Record that the patient did not come (after start + grace) and free the rest of the slot.
    Every patient reminder was due before the start, so there is nothing left to withdraw."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = perform_transition(appointment_id=appointment_id, action="no_show", actor=actor, now=now)
        calendar.release(holder=appointment.holder, now=now)
        hl7_events.on_no_show(appointment=appointment, actor=actor, now=now)
    return appointment


# --- helpers -----------------------------------------------------------------------------


def _log(appointment, action, status, actor, now, note):
    AppointmentTransition.objects.create(
        appointment=appointment, action=action, from_status=status, to_status=status, actor=actor, at=now, note=note
    )


def _booking_note(appointment) -> str:
    note = f"Booked for {appointment.local_start:%a %d %b %Y %H:%M}, {appointment.duration_minutes} min"
    if appointment.lead_time_override_reason:
        note += f"; short notice: {appointment.lead_time_override_reason}"
    if appointment.repeat_booking_reason:
        note += f"; another galactogram already booked: {appointment.repeat_booking_reason}"
    return note


def _moved_note(previous_start, appointment, note) -> str:
    zone = appointment.local_start.tzinfo
    text = f"Moved from {previous_start.astimezone(zone):%a %d %b %H:%M} to {appointment.local_start:%a %d %b %H:%M}"
    return f"{text}. {note}".strip() if note else text
