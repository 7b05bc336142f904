"""Moving an upcoming appointment: the same appointment at a new time and/or with new people.

One transaction moves its reservations (the engine's move, under the exclusion constraint),
its times and team, steps its state back as far as the new time needs, and re-plans its
reminders and SIU message. A time that was just taken changes nothing and offers the next
free ones.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, AppointmentStatus, Room, StaffMember
from radiology.services import hl7_events, offer_rounds, reminders
from radiology.services.action_table import ACTIONS
from radiology.services.booking import BOOKING, check_request, log_unchanged_state
from radiology.services.slots import check_patient_free, fit_team, taken
from radiology.services.transitions import check_permission, lock_appointment, perform_transition
from scheduling import services as calendar


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
            check_request(
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
            check_patient_free(appointment.patient, start, end, exclude=appointment)
            team = fit_team(
                procedure,
                start,
                duration_minutes,
                room=room,
                radiologist=radiologist,
                technologist=technologist,
                exclude_holder=appointment.holder,
            )
            calendar.move(holder=appointment.holder, holds=team.holds, now=now)
            previous_start, previous_end = appointment.start, appointment.end
            Appointment.objects.filter(pk=appointment.pk).update(
                start=start,
                end=end,
                duration_minutes=duration_minutes,
                room=team.option.room,
                radiologist=team.option.radiologist,
                technologist=team.option.technologist,
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
                log_unchanged_state(appointment, "reschedule", actor, now, moved)
            reminders.on_rescheduled(appointment=appointment, previous_start=previous_start, now=now)
            hl7_events.on_rescheduled(appointment=appointment, previous_start=previous_start, actor=actor, now=now)
            # The time she moved away from is offered to the waiting list.
            offer_rounds.on_appointment_freed(
                appointment=appointment,
                cause=offer_rounds.C.RESCHEDULED,
                start=previous_start,
                end=previous_end,
                now=now,
            )
    except calendar.SlotTaken:
        current = Appointment.objects.select_related("procedure", "patient").get(pk=appointment_id)
        raise taken(
            current.procedure, duration_minutes or current.duration_minutes, start, current.patient, current
        ) from None
    return appointment


def _moved_note(previous_start, appointment, note) -> str:
    zone = appointment.local_start.tzinfo
    text = f"Moved from {previous_start.astimezone(zone):%a %d %b %H:%M} to {appointment.local_start:%a %d %b %H:%M}"
    return f"{text}. {note}".strip() if note else text
