"""Booking her from "Find a slot" or her page offers her waiting EHR orders first, and Back
after booking says what was booked (issue #22)."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pytest

from radiology.models import Appointment, Order
from scheduling.clinic_time import clinic_zone
from tests.factories import OrderFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=clinic_zone())  # a Monday
THURSDAY_9 = datetime.combine(NOW.date() + timedelta(days=3), time(9), tzinfo=clinic_zone())


def slot(dept) -> dict:
    return {
        "procedure": "galactogram",
        "start": THURSDAY_9.isoformat(),
        "duration": 45,
        "room": dept.rooms[0].pk,
        "radiologist": dept.radiologists[0].pk,
        "technologist": dept.technologists[0].pk,
    }


def test_the_search_for_her_offers_her_waiting_orders_first(scheduler_client, dept):
    patient = PatientFactory()
    first, second = OrderFactory(patient=patient), OrderFactory(patient=patient, side="right")

    page = scheduler_client.get("/schedule/", {"patient": patient.pk})

    assert page.status_code == 200
    assert f"Book it for order {first.accession_number}?" in page.text
    assert f"Book it for order {second.accession_number}?" in page.text
    assert f'href="/schedule/?order={first.pk}"' in page.text


def test_the_booking_page_books_her_one_waiting_order_and_shows_it(scheduler_client, dept):
    patient = PatientFactory()
    order = OrderFactory(patient=patient, placer_system="EPIC", placer_order_number="PO-9")

    page = scheduler_client.get(f"/schedule/book/?{urlencode(slot(dept))}&patient={patient.pk}")
    response = scheduler_client.post("/schedule/book/", {**slot(dept), "patient": patient.pk, "order": order.pk})

    assert 'data-testid="booking-for-order"' in page.text
    assert order.accession_number in page.text
    assert 'data-testid="new-order-fields"' not in page.text
    assert response.status_code == 302
    assert Appointment.objects.get().order == order
    assert Order.objects.filter(patient=patient).count() == 1


def test_the_booking_page_offers_each_of_her_two_waiting_orders(scheduler_client, dept):
    patient = PatientFactory()
    first, second = OrderFactory(patient=patient), OrderFactory(patient=patient)

    page = scheduler_client.get(f"/schedule/book/?{urlencode(slot(dept))}&patient={patient.pk}")
    refused = scheduler_client.post("/schedule/book/", {**slot(dept), "patient": patient.pk})

    offers = [o["order"] for o in page.context["order_offers"]]
    assert offers == [first, second]
    assert f"order={second.pk}" in page.context["order_offers"][1]["url"]
    assert refused.status_code == 400
    assert "choose the order to book" in refused.text
    assert not Appointment.objects.exists()


def test_back_after_booking_says_already_booked_with_a_link_and_a_second_confirm_books_nothing(scheduler_client, dept):
    order = OrderFactory()
    form = {**slot(dept), "patient": order.patient_id, "order": order.pk}
    scheduler_client.post("/schedule/book/", form)
    appointment = Appointment.objects.get()

    back = scheduler_client.get(f"/schedule/book/?{urlencode(slot(dept))}&order={order.pk}")
    again = scheduler_client.post("/schedule/book/", form)

    for page in (back, again):
        assert "Already booked: Thursday 5 March 2026, 09:00" in page.text
        assert f'href="/appointments/{appointment.pk}/"' in page.text
        assert "Confirm booking" not in page.text
    assert Appointment.objects.count() == 1
