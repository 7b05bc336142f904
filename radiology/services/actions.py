"""One entry point for a named action on an appointment, for the pages and the API alike.

Actions that change more than the status go through the service that does the whole
change: cancel and no-show release the room and the people and withdraw reminders;
abort releases them too. Everything else is a plain logged transition.
"""

from radiology.errors import AppointmentActionError
from radiology.services import booking
from radiology.services.transitions import USER_ACTIONS, perform_transition
from scheduling.services import release


def run_action(*, appointment_id: int, action: str, actor, note: str = "", reason: str = ""):
    if action not in USER_ACTIONS:
        raise AppointmentActionError(
            f"Unknown action “{action}”. Use one of: {', '.join(USER_ACTIONS)}.",
            code="invalid",
            fields={"action": f"One of: {', '.join(USER_ACTIONS)}."},
        )
    if action == "cancel":
        return booking.cancel_appointment(appointment_id=appointment_id, actor=actor, reason=reason or note)
    if action == "no_show":
        return booking.mark_no_show(appointment_id=appointment_id, actor=actor)
    appointment = perform_transition(
        appointment_id=appointment_id, action=action, actor=actor, note=note, reason=reason
    )
    if action == "abort":
        release(holder=appointment.holder, now=appointment.transitions.latest("at").at)
    return appointment
