"""Working the schedulers' to-do list: a call made, or the matter resolved, with a note and
who did it. A resolution takes the appointment off the list until something new happens
(a new answer from the patient, a new request for another time), or a patient the
department cannot reach off it until her contact details change again."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, Patient, TodoNote


def record_todo_note(
    *,
    appointment_id: int | None = None,
    patient_id: int | None = None,
    actor,
    outcome: str,
    note: str = "",
    now: datetime | None = None,
) -> TodoNote:
    """Record a call or a resolution, about an appointment or about a patient to reach (one
    of the two). Resolving needs a note saying how (the database insists too); schedulers only."""
    if (appointment_id is None) == (patient_id is None):
        raise TypeError("A to-do note is about an appointment or a patient.")
    if not actor.has_perm("radiology.book_appointment"):
        raise ServiceRefusal("Your role does not allow working the to-do list.", code="forbidden")
    if outcome not in TodoNote.Outcome.values:
        raise ServiceRefusal("Choose “Called” or “Resolved”.", code="invalid", fields={"outcome": "Choose one."})
    note = note.strip()
    if outcome == TodoNote.Outcome.RESOLVED and not note:
        raise ServiceRefusal("Say how it was resolved.", code="invalid", fields={"note": "Say how it was resolved."})
    with transaction.atomic():
        if appointment_id is not None and not Appointment.objects.filter(pk=appointment_id).exists():
            raise ServiceRefusal("No such appointment.", code="not_found")
        if patient_id is not None and not Patient.objects.filter(pk=patient_id).exists():
            raise ServiceRefusal("No such patient.", code="not_found")
        return TodoNote.objects.create(
            appointment_id=appointment_id,
            patient_id=patient_id,
            outcome=outcome,
            note=note,
            by=actor,
            at=now or timezone.now(),
        )
