"""Other people at the same time: replacing the radiologist or the technologist/nurse of an
appointment still to be performed, without moving it.

Who may take over is the slot search's answer for that exact minute (services/slots.py: the
engine's `fit`, never a rule of its own). One transaction moves the reservations (the engine's
`move`, the exclusion constraint still the guard: a rival who took the person a moment ago
makes it the "just taken" refusal, with who else is free then), sets the new people, logs the
change and plans what others are told: the EHR an SIU S14 (the told table's re-staffed event),
the worklist shows the new performer because it reads the appointment, and the people who
join or leave hear it when it is within 48 h. The patient is told nothing: her time and place
are as she was told, so her reminders stay exactly as planned (same version).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, AppointmentTransition, StaffMember
from radiology.selectors import NEEDS_NEW_TIME
from radiology.services import hl7_events, reminders
from radiology.services.action_table import ACTIONS
from radiology.services.booking import log_unchanged_state
from radiology.services.slots import SlotOption, fit_team, free_replacements, replacement_team
from radiology.services.transitions import check_permission, lock_appointment
from scheduling import services as calendar

RESTAFF = ACTIONS["restaff"]
ROLE_WORDS = {"radiologist": "radiologist", "technologist": "technologist or nurse"}


@dataclass(frozen=True)
class Proposal:
    """Who would take over at the appointment's own time: the people to name in
    restaff_appointment, and who they replace (for the to-do's sentence)."""

    radiologist: StaffMember | None
    technologist: StaffMember | None
    replaced: tuple[StaffMember, ...]

    @property
    def sentence(self) -> str:
        joined = [member for member in (self.radiologist, self.technologist) if member is not None]
        away, free = (" and ".join(m.name for m in group) for group in (self.replaced, joined))
        verb = "are" if len(joined) > 1 else "is"
        return f"{away} {verb} off then; {free} {verb} free"


def _invalid(field: str, message: str) -> ServiceRefusal:
    return ServiceRefusal(message, code="invalid", fields={field: message})


def _check_roles(radiologist, technologist) -> None:
    if radiologist is None and technologist is None:
        raise _invalid("radiologist", "Choose who takes over: another radiologist, technologist or nurse.")
    if radiologist is not None and radiologist.role != StaffMember.Role.RADIOLOGIST:
        raise _invalid("radiologist", f"{radiologist.name} is not a radiologist.")
    if technologist is not None and technologist.role not in StaffMember.ASSISTING_ROLES:
        raise _invalid("technologist", f"{technologist.name} is not a technologist or nurse.")


def candidates(appointment: Appointment) -> dict[str, list[StaffMember]]:
    """Who else of each role is free at the appointment's start (the slot search's answer)."""
    return {role: free_replacements(appointment, role) for role in ROLE_WORDS}


def propose_replacement(appointment: Appointment) -> Proposal | None:
    """When someone of its team cannot be there (time off entered after the booking, an
    outage), the first free people of the same roles at the same time; None when no one
    needs replacing or no one free can (the appointment then needs a new time)."""
    team = replacement_team(appointment)
    if team is None:
        return None
    radiologist = team.option.radiologist if team.option.radiologist.pk != appointment.radiologist_id else None
    technologist = team.option.technologist if team.option.technologist.pk != appointment.technologist_id else None
    replaced = tuple(
        current
        for current, new in ((appointment.radiologist, radiologist), (appointment.technologist, technologist))
        if new is not None
    )
    return Proposal(radiologist=radiologist, technologist=technologist, replaced=replaced)


def offer_on_todo(items) -> list:
    """The to-do's "needs a new time" items (time off over a booking) whose person someone
    free could replace at the same time say "needs new staff" instead and carry the proposal
    (the to-do's one-click re-staff). The engine is asked only for those items."""
    for item in items:
        if NEEDS_NEW_TIME not in item.reasons:
            continue
        item.proposal = propose_replacement(item.appointment)
        if item.proposal is not None:
            item.reasons[item.reasons.index(NEEDS_NEW_TIME)] = f"Needs new staff: {item.proposal.sentence}"
    return items


def restaff_appointment(
    *,
    appointment_id: int,
    actor,
    radiologist: StaffMember | None = None,
    technologist: StaffMember | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Replace the radiologist and/or the technologist or nurse (the ones left out stay) at
    the same time and in the same room, all at once or not at all. Refused when the action
    table refuses (performed, cancelled, ...), when nothing changes, when a named person is
    not free then (with the reason: time off, outside their hours), and with "just taken"
    when another booking holds them; nothing is written then."""
    check_permission(actor, RESTAFF)
    now = now or timezone.now()
    _check_roles(radiologist, technologist)
    try:
        with transaction.atomic():
            appointment = lock_appointment(appointment_id)
            refusal = RESTAFF.refusal(appointment, now)
            if refusal:
                raise ServiceRefusal(refusal)
            before = (appointment.radiologist, appointment.technologist)
            after = (radiologist or before[0], technologist or before[1])
            if [m.pk for m in after] == [m.pk for m in before]:
                raise _invalid(
                    "radiologist" if radiologist else "technologist",
                    f"{after[0].name} and {after[1].name} are already booked for it: nothing changes.",
                )
            team = fit_team(
                appointment.procedure,
                appointment.start,
                appointment.duration_minutes,
                room=appointment.room,
                radiologist=after[0],
                technologist=after[1],
                exclude_holder=appointment.holder,
            )
            calendar.move(holder=appointment.holder, holds=team.holds, now=now)
            Appointment.objects.filter(pk=appointment.pk).update(
                radiologist=after[0], technologist=after[1], updated_at=now
            )
            appointment.refresh_from_db()
            log_unchanged_state(appointment, "restaff", actor, now, _note(before, after, note))
            number = AppointmentTransition.objects.filter(appointment=appointment, action="restaff").count()
            joined = [new for old, new in zip(before, after, strict=True) if old.pk != new.pk]
            left = [old for old, new in zip(before, after, strict=True) if old.pk != new.pk]
            reminders.on_restaffed(appointment=appointment, joined=joined, left=left, number=number, now=now)
            hl7_events.on_restaffed(appointment=appointment, number=number, actor=actor, now=now)
    except calendar.SlotTaken:
        raise _taken(appointment_id) from None
    return appointment


def _taken(appointment_id: int) -> ServiceRefusal:
    """A rival took the person a moment ago: the "just taken" refusal, offering who else is
    free at the same time (as slots, the way a lost booking offers other times)."""
    current = Appointment.objects.select_related("procedure", "room", "radiologist__user", "technologist__user").get(
        pk=appointment_id
    )
    free = candidates(current)
    suggestions = [
        SlotOption(current.start, current.end, current.room, radiologist, current.technologist)
        for radiologist in free["radiologist"]
    ] + [
        SlotOption(current.start, current.end, current.room, current.radiologist, technologist)
        for technologist in free["technologist"]
    ]
    return ServiceRefusal.just_taken(suggestions)


def _note(before, after, note: str) -> str:
    changes = [
        f"{ROLE_WORDS[role].capitalize()} {old.name} → {new.name}"
        for role, old, new in zip(ROLE_WORDS, before, after, strict=True)
        if old.pk != new.pk
    ]
    text = "Re-staffed at the same time: " + "; ".join(changes)
    return f"{text}. {note.strip()}" if note.strip() else text
