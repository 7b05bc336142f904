"""Her link after a missed visit: the free times she may choose, and booking the one she
chose on the same order, through the booking service (whose on_order_booked then closes the
rebooking loop)."""

from datetime import datetime, timedelta

from django.db import transaction

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, Rebooking
from radiology.services.booking import book_appointment
from radiology.services.rebooking import OFFERS, R, already_rebooked_sentence, waiting_rebooking
from radiology.services.slots import next_free_slots


def rebook_choices(*, appointment: Appointment, now: datetime) -> list[datetime]:
    """Free starts she may choose (after the catalog's lead time), through the slot search."""
    rebooking = waiting_rebooking(appointment)
    if rebooking is None or rebooking.state not in (R.WAITING, R.FLAGGED):
        return []
    procedure = appointment.procedure
    after = now + timedelta(hours=procedure.min_lead_time_hours, minutes=1)
    slots = next_free_slots(
        procedure=procedure,
        duration_minutes=appointment.duration_minutes,
        after=after,
        patient=appointment.patient,
        limit=OFFERS,
    )
    return [slot.start for slot in slots]


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
        choices = rebook_choices(appointment=appointment, now=now)
        if start not in choices:
            raise ServiceRefusal.just_taken(choices)
        return book_appointment(
            patient=appointment.patient,
            procedure=appointment.procedure,
            start=start,
            duration_minutes=appointment.duration_minutes,
            actor=None,
            order=rebooking.order,
            now=now,
        )
