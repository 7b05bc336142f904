"""An outage: a radiologist, technologist or nurse away for a period (off sick today), or a
room's unit down from a time, and what becomes of the appointments it catches.

The outage is recorded where the calendar already keeps such things, as time off (a person)
or maintenance (a room) on the resource (scheduling.Unavailability), so every later slot
search and fit respects it. Each appointment it catches is then handled on its own, all or
nothing (each through its service's one transaction): re-staffed when someone free can take
the missing person's place at the same time (services/restaffing.py: the patient is told
nothing), else moved to the earliest fitting time of the slot search, never earlier than she
was booked, through the rescheduling service (so she is told once, in her language, by the
normal reschedule messages). What cannot be handled is said with its reason.

plan_outage shows what would be done (worked out with the outage recorded and then rolled
back, so the plan is the engine's answer with the outage in place); declare_outage records
it and does it, working the plan out again at that moment.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from radiology import selectors
from radiology.errors import ServiceRefusal
from radiology.models import UPCOMING, Appointment
from radiology.services import rescheduling, restaffing
from radiology.services.slots import SlotOption, find_galactogram_slots
from radiology.services.transitions import check_permission
from scheduling.clinic_time import to_local
from scheduling.models import Resource, Unavailability

# How far ahead a moved appointment may go.
MOVE_WITHIN = timedelta(days=28)
RESTAFF, MOVE, NONE = "restaff", "move", "none"
OUTCOMES = {RESTAFF: "Re-staffed", MOVE: "Moved", NONE: "Not handled"}


@dataclass
class Step:
    """What is (or was) done with one appointment: re-staffed with the proposal's people,
    moved to the slot, or not handled, and why."""

    appointment: Appointment
    action: str
    proposal: restaffing.Proposal | None = None
    slot: SlotOption | None = None
    why: str = ""
    done: bool = False

    @property
    def label(self) -> str:
        return OUTCOMES[self.action]

    @property
    def detail(self) -> str:
        if self.action == RESTAFF:
            people = [m.name for m in (self.proposal.radiologist, self.proposal.technologist) if m is not None]
            replaced = " and ".join(m.name for m in self.proposal.replaced)
            return f"{' and '.join(people)} instead of {replaced}, same time"
        if self.action == MOVE:
            return (
                f"to {to_local(self.slot.start):%a %d %b %H:%M}, {self.slot.room.name}, "
                f"{self.slot.radiologist.name} and {self.slot.technologist.name}"
            )
        return self.why


class _PlanOnly(Exception):
    """Raised to roll back the outage recorded only to plan against it."""


def _invalid(field: str, message: str) -> ServiceRefusal:
    return ServiceRefusal(message, code="invalid", fields={field: message})


def _check(resource: Resource, start: datetime, end: datetime, reason: str, now: datetime) -> None:
    if not resource.active:
        raise _invalid("resource", f"{resource.name} is no longer in use.")
    if start >= end:
        raise _invalid("end", "The outage must end after it starts.")
    if end <= now:
        raise _invalid("end", "That period is over already: an outage is declared for now or later.")
    if not reason.strip():
        raise _invalid("reason", "Say why (e.g. off sick, unit down), for the calendar and the appointments' history.")


def _record(resource: Resource, start: datetime, end: datetime, reason: str) -> Unavailability:
    kind = Unavailability.Kind.MAINTENANCE if resource.kind == Resource.Kind.ROOM else Unavailability.Kind.TIME_OFF
    reason = reason.strip()[:200]
    return Unavailability.objects.create(resource=resource, start=start, end=end, kind=kind, reason=reason)


def _earliest_slot(appointment: Appointment, now: datetime) -> SlotOption | None:
    """The slot search's earliest fitting start for her, never before her booked time (she has
    planned for it and kept the no-expression window up to it) nor before now."""
    earliest = max(appointment.start, now + timedelta(minutes=1))
    day = to_local(earliest).date()
    slots = find_galactogram_slots(
        procedure=appointment.procedure,
        duration_minutes=appointment.duration_minutes,
        start_date=day,
        end_date=day + MOVE_WITHIN,
        patient=appointment.patient,
        exclude_appointment=appointment,
        earliest=earliest,
        short_notice=True,
        limit=1,
        now=now,
    )
    return slots[0] if slots else None


def _step(appointment: Appointment, now: datetime) -> Step:
    proposal = restaffing.propose_replacement(appointment)
    if proposal is not None:
        return Step(appointment, RESTAFF, proposal=proposal)
    if appointment.status not in UPCOMING:
        state = appointment.get_status_display().lower()
        return Step(appointment, NONE, why=f"No one free can take over, and she is {state}: see her on the day list.")
    slot = _earliest_slot(appointment, now)
    if slot is None:
        why = f"No one free can take over, and no free time within {MOVE_WITHIN.days} days."
        return Step(appointment, NONE, why=why)
    return Step(appointment, MOVE, slot=slot)


def _affected(resource: Resource, start: datetime, end: datetime) -> list[Appointment]:
    caught = [a.pk for a in selectors.appointments_affected_by(resource_id=resource.pk, start=start, end=end)]
    return list(
        Appointment.objects.filter(pk__in=caught)
        .select_related("patient", "procedure", "room", "radiologist__user", "technologist__user")
        .order_by("start")
    )


def plan_outage(*, resource: Resource, start: datetime, end: datetime, reason: str, actor, now=None) -> list[Step]:
    """What declaring the outage would do to each appointment it catches, changing nothing."""
    check_permission(actor, restaffing.RESTAFF)
    now = now or timezone.now()
    _check(resource, start, end, reason, now)
    steps: list[Step] = []
    try:
        with transaction.atomic():
            _record(resource, start, end, reason)
            steps = [_step(appointment, now) for appointment in _affected(resource, start, end)]
            raise _PlanOnly
    except _PlanOnly:
        pass
    return steps


def declare_outage(*, resource: Resource, start: datetime, end: datetime, reason: str, actor, now=None) -> list[Step]:
    """Record the outage, then handle each appointment it catches on its own: re-staffed,
    moved, or left with the reason (a refusal of its service, e.g. a time just taken,
    changes nothing of that appointment and is reported). Returns what was done."""
    check_permission(actor, restaffing.RESTAFF)
    now = now or timezone.now()
    _check(resource, start, end, reason, now)
    with transaction.atomic():
        _record(resource, start, end, reason)
    note = f"Outage: {resource.name}, {reason.strip()}"
    steps = []
    for appointment in _affected(resource, start, end):
        steps.append(_handle(appointment, actor=actor, note=note, now=now))
    return steps


def _handle(appointment: Appointment, *, actor, note: str, now) -> Step:
    """One appointment, all or nothing. Someone else may take the chosen person or time between
    the plan and the change (a conflict): plan it once more from what is free then."""
    for attempt in range(2):
        step = _step(appointment, now)
        try:
            _carry_out(step, actor=actor, note=note, now=now)
        except ServiceRefusal as refusal:
            if refusal.code == "conflict" and attempt == 0:
                appointment.refresh_from_db()
                continue
            return Step(appointment, NONE, why=f"{OUTCOMES[step.action]}: refused, {refusal.message}")
        return step
    raise AssertionError("unreachable")


def _carry_out(step: Step, *, actor, note: str, now) -> None:
    appointment = step.appointment
    if step.action == RESTAFF:
        restaffing.restaff_appointment(
            appointment_id=appointment.pk,
            actor=actor,
            radiologist=step.proposal.radiologist,
            technologist=step.proposal.technologist,
            note=note,
            now=now,
        )
    elif step.action == MOVE:
        slot = step.slot
        inside_lead = slot.start - now < timedelta(hours=appointment.procedure.min_lead_time_hours)
        rescheduling.reschedule_appointment(
            appointment_id=appointment.pk,
            start=slot.start,
            actor=actor,
            room=slot.room,
            radiologist=slot.radiologist,
            technologist=slot.technologist,
            # Inside the lead time only because her booked time was: she keeps her preparation.
            lead_time_override_reason=f"{note} (no earlier than booked)" if inside_lead else "",
            note=note,
            now=now,
        )
    else:
        return
    step.done = True
