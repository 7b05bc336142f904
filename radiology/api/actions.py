"""Which service carries out an action named in POST /appointments/{id}/transitions."""

from radiology.errors import AppointmentActionError
from radiology.services import booking
from radiology.services.transitions import USER_ACTIONS, perform_transition


def run_action(*, appointment_id: int, action: str, actor, note: str = "", reason: str = "", data=None):
    """Cancel and no-show go through the booking services (they release the room and the
    people); everything else is a plain state transition."""
    if action not in USER_ACTIONS:
        raise AppointmentActionError(
            f"Unknown action “{action}”. Use one of: {', '.join(USER_ACTIONS)}.",
            code="invalid",
            fields={"action": f"One of: {', '.join(USER_ACTIONS)}."},
        )
    if action in ("cancel", "no_show"):
        if action == "cancel":
            return booking.cancel_appointment(appointment_id=appointment_id, actor=actor, reason=reason or note)
        return booking.mark_no_show(appointment_id=appointment_id, actor=actor)
    return perform_transition(appointment_id=appointment_id, action=action, actor=actor, note=note, reason=reason)
