"""A booking without an order books her waiting EHR order rather than making another (issue #22)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, Order
from radiology.services.booking import book_appointment
from tests.factories import OrderFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock", "dept")]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday
WEDNESDAY_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


def book(galactogram, scheduler, patient, **kwargs):
    return book_appointment(
        patient=patient, procedure=galactogram, start=WEDNESDAY_10, duration_minutes=45, actor=scheduler, **kwargs
    )


def test_her_one_waiting_order_is_booked_and_no_new_order_is_made(galactogram, scheduler):
    patient = PatientFactory()
    order = OrderFactory(patient=patient, placer_system="EPIC", placer_order_number="PO-1")

    appointment = book(galactogram, scheduler, patient, side="", indication="")

    assert appointment.order == order
    assert Order.objects.filter(patient=patient).count() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.SCHEDULED


def test_of_two_waiting_orders_the_booking_asks_which_one_naming_both(galactogram, scheduler):
    patient = PatientFactory(given_name="Ana", family_name="Lopez")
    first, second = OrderFactory(patient=patient), OrderFactory(patient=patient)

    with pytest.raises(ServiceRefusal) as error:
        book(galactogram, scheduler, patient)

    assert "order" in error.value.fields
    assert first.accession_number in error.value.message and second.accession_number in error.value.message
    assert not Appointment.objects.exists()
    assert Order.objects.filter(patient=patient).count() == 2


def test_the_side_asked_for_picks_the_one_of_her_orders_on_that_side(galactogram, scheduler):
    patient = PatientFactory()
    OrderFactory(patient=patient, side="left")
    right = OrderFactory(patient=patient, side="right")

    appointment = book(galactogram, scheduler, patient, side="right")

    assert appointment.order == right
    assert Order.objects.filter(patient=patient).count() == 2


def test_an_order_already_booked_is_refused_saying_when(galactogram, scheduler):
    patient = PatientFactory()
    order = OrderFactory(patient=patient)
    first = book(galactogram, scheduler, patient, order=order)

    with pytest.raises(ServiceRefusal) as error:
        book(galactogram, scheduler, patient, order=order)

    assert error.value.message == f"Already booked: Wed 13 Jan 2027 10:00 (appointment #{first.pk})."
