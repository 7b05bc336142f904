"""Her link books a chosen time, in one place: the free times offered (the slot search, after
the catalog's lead time) and booking the one she chose on an existing order through the
booking service. Two links use it: after a missed visit (the rebooking loop: its
on_order_booked closes it) and an invitation to book an order waiting to be scheduled
(order_invitations.py). Above the booking service, so no import circle."""

from datetime import datetime, timedelta

from django.db import transaction

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, Rebooking
from radiology.services.booking import book_appointment
from radiology.services.rebooking import OFFERS, R, already_rebooked_sentence, waiting_rebooking
from radiology.services.slots import next_free_slots


def free_choices(*, procedure, duration_minutes: int, patient, now: datetime, limit: int = OFFERS) -> list[datetime]:
    """The earliest free starts she may choose herself: after the catalog's lead time (she
    cannot give the short-notice reason a scheduler gives), in everyone's working hours,
    never over her other appointments."""
    after = now + timedelta(hours=procedure.min_lead_time_hours, minutes=1)
    slots = next_free_slots(
        procedure=procedure, duration_minutes=duration_minutes, after=after, patient=patient, limit=limit
    )
    return [slot.start for slot in slots]


def book_chosen_time(
    *, order, duration_minutes: int, start: datetime, choices: list[datetime], now: datetime
) -> Appointment:
    """Book the time she chose for this order (no new order), if it is still one she is
    offered; a time no longer free is "just taken" with fresh choices. Inside the caller's
    transaction, which holds the lock on what her link is about."""
    if start not in choices:
        raise ServiceRefusal.just_taken(choices)
    return book_appointment(
        patient=order.patient,
        procedure=order.procedure,
        start=start,
        duration_minutes=duration_minutes,
        actor=None,
        order=order,
        now=now,
    )


def rebook_choices(*, appointment: Appointment, now: datetime) -> list[datetime]:
    """Free starts she may choose after a missed visit, while the rebooking waits."""
    rebooking = waiting_rebooking(appointment)
    if rebooking is None or rebooking.state not in (R.WAITING, R.FLAGGED):
        return []
    return free_choices(
        procedure=appointment.procedure,
        duration_minutes=appointment.duration_minutes,
        patient=appointment.patient,
        now=now,
    )


def rebook_by_patient(*, appointment_id: int, start: datetime, now: datetime) -> Appointment:
    """She chose a new time through her link: booked on the same order by the booking service."""
    with transaction.atomic():
        appointment = Appointment.objects.select_related("patient", "procedure").get(pk=appointment_id)
        rebooking = Rebooking.objects.select_for_update().filter(missed_appointment=appointment).first()
        if rebooking is None:
            raise ServiceRefusal("This appointment has nothing to rebook.", code="not_allowed")
        if rebooking.state not in (R.WAITING, R.FLAGGED):
            rebooking = Rebooking.objects.select_related("rebooked_appointment").get(pk=rebooking.pk)
            raise ServiceRefusal(already_rebooked_sentence(rebooking), code="conflict")
        return book_chosen_time(
            order=rebooking.order,
            duration_minutes=appointment.duration_minutes,
            start=start,
            choices=rebook_choices(appointment=appointment, now=now),
            now=now,
        )
