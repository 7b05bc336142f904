"""What the outbox asks radiology at send time (registered in RadiologyConfig.ready):
a fresh patient link, whether a reminder is still wanted, what its delivery changes, and
where staff read about its subject."""

import contextlib

from django.urls import reverse

from notifications.models import Message
from radiology.errors import ServiceRefusal
from radiology.models import Appointment, AppointmentStatus, ResultLetter, appointment_id_from_reference
from radiology.services import rebooking
from radiology.services.patient_links import letter_link, offer_link_for_patient, patient_link
from radiology.services.transitions import perform_transition

S = AppointmentStatus

PRE_PROCEDURE_KINDS = {"prep", "no_expression", "day_before", "moved"}


def _appointment_id(message) -> int:
    return appointment_id_from_reference(message.subject)


def message_context(message) -> dict:
    """A freshly signed patient link, valid from the moment of sending."""
    if message.audience != Message.Audience.PATIENT:
        return {}
    if message.kind == "letter_ready":
        return {"link": letter_link(_appointment_id(message))}
    return {"link": patient_link(_appointment_id(message))}


def message_skip_reason(message) -> str | None:
    """Re-checked just before sending: is this reminder still wanted?"""
    if message.kind == "letter_ready":
        return _letter_skip_reason(message)
    if message.kind == "rebook":
        return rebooking.message_skip_reason(message)
    if message.kind not in PRE_PROCEDURE_KINDS and message.kind != "follow_up":
        return None
    current = Appointment.objects.filter(pk=_appointment_id(message)).values("status", "version").first()
    if current is None:
        return "The appointment no longer exists."
    if message.kind == "follow_up":
        if current["status"] not in (S.COMPLETED, S.FOLLOW_UP):
            return "The procedure was not completed."
        return None
    if current["status"] not in (S.BOOKED, S.PREP_SENT, S.REMINDED):
        return f"The appointment is {S(current['status']).label.lower()}."
    if current["version"] != message.subject_version:
        return "Planned for an earlier time of the appointment."
    return None


def _letter_skip_reason(message) -> str | None:
    letter = ResultLetter.objects.filter(report__appointment_id=_appointment_id(message)).values(
        "status", "patient__deceased"
    )
    letter = letter.first()
    if letter is None or letter["status"] == ResultLetter.Status.WITHDRAWN:
        return "The result letter was withdrawn."
    if letter["patient__deceased"]:
        return "The patient has died."
    return None


def message_delivered(message) -> None:
    """Prep and no-expression deliveries move the state forward, never past a later state."""
    action = message.meta.get("advance")
    if not action:
        return
    appointment = Appointment.objects.filter(pk=_appointment_id(message)).values("status", "version").first()
    allowed = {"send_prep": {S.BOOKED}, "send_no_expression_reminder": {S.BOOKED, S.PREP_SENT}}[action]
    if appointment is None or appointment["status"] not in allowed:
        return
    if appointment["version"] != message.subject_version:
        return
    # Moved on meanwhile (checked in, cancelled): a reminder never pulls it back.
    with contextlib.suppress(ServiceRefusal):
        perform_transition(appointment_id=_appointment_id(message), action=action, actor=None, now=message.sent_at)


def subject_link(subject: str) -> str | None:
    return reverse("radiology:appointment_detail", args=[appointment_id_from_reference(subject)])


def offer_context(message) -> dict:
    """Her offer link, signed when the message goes."""
    return {"link": offer_link_for_patient(int(message.subject.partition(":")[2]))}


def offer_link(subject: str) -> str | None:
    """Staff read about an offer on the appointment whose time was freed, else the to-do."""
    from radiology.models import SlotOffer

    offer = SlotOffer.objects.filter(pk=int(subject.partition(":")[2])).values("round__freed_appointment_id").first()
    if offer and offer["round__freed_appointment_id"]:
        return reverse("radiology:appointment_detail", args=[offer["round__freed_appointment_id"]])
    return reverse("radiology:scheduler_todo")
