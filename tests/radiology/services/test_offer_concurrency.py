"""Real threads on PostgreSQL: the holder, a patient whose hold on the same time ran out, and a
scheduler all take one freed time at the same instant; exactly one gets it (the holder), the
others are told and nothing is half-written. A storm of clicks on one offer books it once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, SlotOffer, WaitingListEntry
from radiology.services import offers, waiting_list
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment
from scheduling.models import Reservation
from tests.factories import OrderFactory, PatientFactory, StaffMemberFactory, small_department
from tests.race import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, tzinfo=NY)  # Monday
FREED = datetime(2027, 1, 6, 10, tzinfo=NY)
HOLD = timedelta(minutes=20)


@pytest.fixture
def offered(galactogram):
    """Ana was offered the freed time first and did not answer; it is now held for Beatriz."""
    small_department()
    scheduler = StaffMemberFactory(role="scheduler").user
    with time_machine.travel(NOW, tick=False):
        freed = book_appointment(
            patient=PatientFactory(), procedure=galactogram, start=FREED, duration_minutes=45, actor=scheduler
        )
        people = []
        for i, name in enumerate(["Ana", "Beatriz"]):
            patient = PatientFactory(given_name=name)
            order = OrderFactory(patient=patient, procedure=galactogram, received_at=NOW - timedelta(days=30 - i))
            book_appointment(
                patient=patient,
                procedure=galactogram,
                start=datetime(2027, 1, 20 + i, 10, tzinfo=NY),
                duration_minutes=45,
                actor=scheduler,
                order=order,
            )
            waiting_list.join_waiting_list(patient=patient, source="scheduler", now=NOW)
            people.append(patient)
        cancel_appointment(appointment_id=freed.pk, actor=scheduler, reason_code="patient_request", now=NOW)
        offers.advance_due_rounds(now=NOW)
    with time_machine.travel(NOW + HOLD + timedelta(seconds=1), tick=False):
        offers.advance_due_rounds(now=NOW + HOLD + timedelta(seconds=1))
    ana, beatriz = (SlotOffer.objects.get(patient=p) for p in people)
    assert (ana.state, beatriz.state) == ("expired", "held")
    return ana, beatriz, scheduler, galactogram


def test_the_holder_the_late_patient_and_a_scheduler_at_once_only_the_holder_gets_it(offered):
    ana, beatriz, scheduler, galactogram = offered
    at = NOW + HOLD + timedelta(minutes=2)
    with time_machine.travel(at, tick=True):
        results = race(
            lambda: offers.accept_offer(offer_id=beatriz.pk),
            lambda: offers.accept_offer(offer_id=ana.pk),
            lambda: book_appointment(
                patient=PatientFactory(), procedure=galactogram, start=FREED, duration_minutes=45, actor=scheduler
            ),
        )
    took, late, clerk = results
    assert isinstance(took, SlotOffer) and took.state == "accepted"
    # Told her time ran out, or (when the holder's commit came first) that it has been taken.
    assert isinstance(late, ServiceRefusal) and "You stay on the waiting list" in str(late)
    assert isinstance(clerk, ServiceRefusal) and clerk.code == "conflict"
    at_freed = Appointment.objects.filter(start=FREED, status="booked")
    assert list(at_freed.values_list("patient_id", flat=True)) == [beatriz.patient_id]
    assert Reservation.objects.filter(active=True, start=FREED).count() == 3  # room, radiologist, technologist
    assert WaitingListEntry.objects.get(patient=ana.patient).state == "waiting"


def test_twenty_clicks_on_one_offer_book_it_once_without_an_error(offered):
    _, beatriz, _, _ = offered
    with time_machine.travel(NOW + HOLD + timedelta(minutes=2), tick=True):
        results = race(*[lambda: offers.accept_offer(offer_id=beatriz.pk) for _ in range(20)], timeout=60)
    assert all(isinstance(r, SlotOffer) and r.state == "accepted" for r in results), results
    assert Appointment.objects.filter(patient=beatriz.patient).count() == 1
    assert Appointment.objects.get(patient=beatriz.patient).start == FREED
