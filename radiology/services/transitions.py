"""The state machine's one gate: every change of an appointment's status goes through
perform_transition.

It checks the actor's permission, locks the row, asks the action table whether the state and
the time allow the action, fires the django-fsm transition, saves and logs, all in one
transaction. Only services call it: they add what the action requires (the checklist, the
outcome, the coded reason, the released time) in the same transaction, so the whole change
commits or none of it does. Pages, the API and listeners call those services.
"""

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, AppointmentTransition
from radiology.services.action_table import ACTIONS, ActionSpec
from radiology.services.order_lifecycle import follow_appointment
from scheduling.clinic_time import to_local


def lock_appointment(appointment_id: int) -> Appointment:
    """Load an appointment with its row locked until the surrounding transaction ends."""
    try:
        return Appointment.objects.select_related("procedure").select_for_update(of=("self",)).get(pk=appointment_id)
    except Appointment.DoesNotExist:
        raise ServiceRefusal("That appointment does not exist.", code="not_found") from None


def _who_moved_it(appointment: Appointment, spec: ActionSpec) -> str:
    """When the state is what stands in the way, who brought the appointment to it and when:
    of two people acting at once, the one refused learns what happened instead of guessing."""
    if spec.state_allows(appointment):
        return ""  # a time rule refused it: no one is to blame
    last = (
        AppointmentTransition.objects.filter(appointment=appointment, to_status=appointment.status)
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )
    if last is None:
        return ""
    return f" ({last.actor_name}, {to_local(last.at):%a %d %b %H:%M})"


def get_action(name: str) -> ActionSpec:
    spec = ACTIONS.get(name)
    if spec is None:
        raise ServiceRefusal(f"Unknown action “{name}”.", code="invalid", fields={"action": "Unknown."})
    return spec


def check_permission(actor, spec: ActionSpec) -> None:
    if actor is None:
        return  # the system: reminder delivery, scheduled jobs, the patient's own link
    if spec.permission is None or not actor.has_perm(spec.permission):
        raise ServiceRefusal(f"Your role does not allow “{spec.label.lower()}”.", code="forbidden")


def perform_transition(
    *, appointment_id: int, action: str, actor, note: str = "", now=None, fields: dict | None = None
) -> Appointment:
    """Move an appointment by one named action, or raise ServiceRefusal and change
    nothing. `fields` are the transition's own arguments (times, coded reasons)."""
    spec = get_action(action)
    check_permission(actor, spec)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = lock_appointment(appointment_id)
        refusal = spec.refusal(appointment, now)
        if refusal:
            raise ServiceRefusal(refusal + _who_moved_it(appointment, spec))
        from_status = appointment.status
        getattr(appointment, spec.transition)(**(fields or {}))
        try:
            appointment.save()
        except ConcurrentTransition:
            raise ServiceRefusal(
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
            note=note.strip(),
        )
        follow_appointment(appointment=appointment)  # e.g. a cancelled visit returns its order to the queue
    return appointment
