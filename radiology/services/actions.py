"""One entry point for a named action on an appointment, for the pages and the API alike.

Actions that change more than the status go through the service that does the whole
change: cancel and no-show release the room and the people and withdraw reminders;
abort releases them too; complete plans the follow-up message. A check-in with its
checklist, or a completion with its outcome, goes through radiology.services.procedure as
on the pages. Everything else is a plain logged transition.
"""

from django.db import transaction
from django.utils import timezone

from radiology.errors import AppointmentActionError
from radiology.services import booking, procedure, reminders
from radiology.services.transitions import USER_ACTIONS, perform_transition
from scheduling.services import release


def run_action(
    *,
    appointment_id: int,
    action: str,
    actor,
    note: str = "",
    reason: str = "",
    checklist: dict | None = None,
    outcome: dict | None = None,
):
    if action not in USER_ACTIONS:
        raise AppointmentActionError(
            f"Unknown action “{action}”. Use one of: {', '.join(USER_ACTIONS)}.",
            code="invalid",
            fields={"action": f"One of: {', '.join(USER_ACTIONS)}."},
        )
    if checklist is not None and action == "check_in":
        return procedure.check_in_patient(
            appointment_id=appointment_id, actor=actor, checklist=procedure.Checklist(**checklist)
        )
    if outcome is not None and action == "complete":
        return procedure.complete_procedure(appointment_id=appointment_id, actor=actor, **outcome)
    if action == "cancel":
        return booking.cancel_appointment(appointment_id=appointment_id, actor=actor, reason=reason or note)
    if action == "no_show":
        return booking.mark_no_show(appointment_id=appointment_id, actor=actor)
    now = timezone.now()
    with transaction.atomic():
        appointment = perform_transition(
            appointment_id=appointment_id, action=action, actor=actor, note=note, reason=reason, now=now
        )
        if action == "abort":
            release(holder=appointment.holder, now=now)
        elif action == "complete":
            reminders.on_completed(appointment=appointment, now=now)
    return appointment
