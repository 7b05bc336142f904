"""Every change of an appointment's status goes through perform_transition.

It locks the row, checks the actor's permission and the transition's guards, calls the
django-fsm transition, saves and logs, all inside one transaction. Callers that do more
in the same change (release reservations, re-plan reminders) wrap it in their own
transaction.atomic() so the whole change commits or none of it does.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from radiology.errors import AppointmentActionError
from radiology.models import Appointment, AppointmentStatus, AppointmentTransition
from radiology.services.order_lifecycle import follow_appointment


@dataclass(frozen=True)
class Action:
    method: str
    permission: str | None  # None: only the system (actor=None) may do it
    label: str
    needs_reason: bool = False
    takes_time: bool = False


ACTIONS: dict[str, Action] = {
    "send_prep": Action("record_prep_sent", None, "Record prep instructions sent"),
    "send_no_expression_reminder": Action(
        "record_no_expression_reminder_sent", None, "Record no-expression reminder sent"
    ),
    "check_in": Action("check_in", "radiology.check_in_appointment", "Check in", takes_time=True),
    "start": Action("start_procedure", "radiology.perform_procedure", "Start procedure", takes_time=True),
    "complete": Action("complete", "radiology.perform_procedure", "Complete", takes_time=True),
    "abort": Action("abort", "radiology.perform_procedure", "Abort (incomplete)", needs_reason=True),
    "cancel": Action("cancel", "radiology.book_appointment", "Cancel", needs_reason=True),
    "no_show": Action("mark_no_show", "radiology.mark_no_show", "Mark no-show"),
    "arrange_follow_up": Action("arrange_follow_up", "radiology.arrange_follow_up", "Arrange follow-up"),
    "step_back_for_reschedule": Action("step_back_for_reschedule", "radiology.book_appointment", "Reschedule"),
}

USER_ACTIONS = [name for name, action in ACTIONS.items() if action.permission and name != "step_back_for_reschedule"]


def lock_appointment(appointment_id: int) -> Appointment:
    """Load an appointment with its row locked until the surrounding transaction ends."""
    try:
        return Appointment.objects.select_for_update().get(pk=appointment_id)
    except Appointment.DoesNotExist:
        raise AppointmentActionError("That appointment does not exist.", code="not_found") from None


def check_permission(actor, action: Action) -> None:
    if actor is None:
        return  # the system: reminder delivery, scheduled jobs
    if action.permission is None or not actor.has_perm(action.permission):
        raise AppointmentActionError(f"Your role does not allow “{action.label.lower()}”.", code="forbidden")


def _check_guards(appointment: Appointment, name: str, action: Action, *, reason: str, now) -> None:
    if action.needs_reason and not reason.strip():
        raise AppointmentActionError("Please give a reason.", code="invalid", fields={"reason": "Required."})
    if name == "no_show":
        grace = timedelta(minutes=appointment.procedure.no_show_grace_minutes)
        if now < appointment.start + grace:
            raise AppointmentActionError(
                f"A no-show can be recorded only {appointment.procedure.no_show_grace_minutes} minutes "
                "after the appointment's start.",
            )
    if name == "check_in" and now.astimezone(appointment.local_start.tzinfo).date() != appointment.local_start.date():
        raise AppointmentActionError("Patients can be checked in only on the day of their appointment.")


def allowed_actions(appointment: Appointment, user) -> list[str]:
    """The user actions this user may take on the appointment in its current state."""
    return [
        name
        for name in USER_ACTIONS
        if can_proceed(getattr(appointment, ACTIONS[name].method)) and user.has_perm(ACTIONS[name].permission)
    ]


def perform_transition(
    *, appointment_id: int, action: str, actor, note: str = "", reason: str = "", now=None
) -> Appointment:
    """Move an appointment by one named action, or raise AppointmentActionError and change nothing."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise AppointmentActionError(f"Unknown action “{action}”.", code="invalid", fields={"action": "Unknown."})
    check_permission(actor, spec)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = lock_appointment(appointment_id)
        method = getattr(appointment, spec.method)
        if not can_proceed(method):
            raise AppointmentActionError(
                f"Cannot {spec.label.lower()}: the appointment is {appointment.get_status_display().lower()}.",
            )
        _check_guards(appointment, action, spec, reason=reason, now=now)
        from_status = appointment.status
        kwargs = {}
        if spec.takes_time:
            kwargs["at"] = now
        if spec.needs_reason:
            kwargs["reason"] = reason.strip()
        method(**kwargs)
        try:
            appointment.save()
        except ConcurrentTransition:
            raise AppointmentActionError(
                "Someone else changed this appointment a moment ago. Reload to see its current state.",
                code="conflict",
            ) from None
        AppointmentTransition.objects.create(
            appointment=appointment,
            action=action,
            from_status=from_status,
            to_status=appointment.status,
            actor=actor,
            at=now,
            note=(note or reason).strip(),
        )
        follow_appointment(appointment=appointment)  # e.g. a cancelled visit returns its order to the queue
    return appointment


def is_terminal(status: str) -> bool:
    return status in {
        AppointmentStatus.FOLLOW_UP,
        AppointmentStatus.INCOMPLETE,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    }
