"""Endings before the exam: cancel (with a coded reason) and no-show.

Each frees the appointment's time in the same transaction as its state change, withdraws
what the patient would still be sent, and plans the SIU message. coded_reason is the rule for
every coded ending (cancel here; abort and did not proceed in the workflow services).
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from procedures.reasons import CancelReason, reason_text
from radiology.errors import ServiceRefusal
from radiology.models import Appointment
from radiology.services import follow_ups, hl7_events, offer_rounds, rebooking, reminders
from radiology.services.transitions import perform_transition
from scheduling import services as calendar


def _invalid(field: str, message: str) -> ServiceRefusal:
    return ServiceRefusal(message, code="invalid", fields={field: message})


def coded_reason(choices, code: str, note: str = "") -> str:
    """The text stored with a coded reason; refuses an unknown code or "other" without a note."""
    if code not in choices.values:
        raise _invalid("reason_code", f"Choose a reason: {', '.join(choices.values)}.")
    if code == "other" and not note.strip():
        raise _invalid("note", "Say what the other reason is.")
    return reason_text(choices, code, note)


def cancel_appointment(
    *, appointment_id: int, actor, reason_code: str, note: str = "", now: datetime | None = None
) -> Appointment:
    """Cancel with a coded reason (procedures.reasons.CancelReason; "other" needs a note): the
    time is freed and pending reminders are withdrawn."""
    if reason_code == CancelReason.PATIENT_VIA_LINK and actor is not None:
        # Only her link says that (portal.cancel_by_patient, actor None): staff at any door
        # record what she told them ("Patient asked to cancel"), never a click she did not make.
        raise _invalid(
            "reason_code", "Only the patient's own link cancels as “cancelled by the patient through her link”."
        )
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
        follow_ups.on_booked_appointment_ended(appointment=appointment, now=now)
        # The freed time is offered to the waiting list (planned now, worked after commit).
        offer_rounds.on_appointment_freed(appointment=appointment, cause=offer_rounds.C.CANCELLED, now=now)
    return appointment


def mark_no_show(*, appointment_id: int, actor, now: datetime | None = None) -> Appointment:
    """Record that the patient did not come (after start + grace) and free the rest of the slot.
    Every patient reminder was due before the start, so there is nothing left to withdraw."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = perform_transition(appointment_id=appointment_id, action="no_show", actor=actor, now=now)
        calendar.release(holder=appointment.holder, now=now)
        hl7_events.on_no_show(appointment=appointment, actor=actor, now=now)
        rebooking.on_missed(appointment=appointment, now=now)  # her order is back in the queue
        follow_ups.on_booked_appointment_ended(appointment=appointment, now=now)
    return appointment
