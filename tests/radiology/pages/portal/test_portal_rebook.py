"""Her link after a missed appointment: new times to choose from, booked through the booking
service; after a phone booking the link says she already has one, in her language."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from radiology.models import Order, Rebooking
from radiology.services.booking import book_appointment
from radiology.services.cancellation import mark_no_show
from radiology.services.patient_links import make_token
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
START = datetime(2026, 10, 27, 15, 0, tzinfo=NY)
LATER = datetime(2026, 10, 28, 11, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def missed(galactogram, dept, scheduler):
    appointment = AppointmentFactory(start=START, procedure=galactogram, patient=PatientFactory(language="es"))
    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        return mark_no_show(appointment_id=appointment.pk, actor=scheduler, now=START + timedelta(minutes=30))


def url(appointment, name="rebook"):
    return reverse(f"radiology:portal:{name}", args=[appointment.pk, make_token(appointment.pk)])


def test_her_page_offers_new_times_and_she_books_one(client, missed):
    with time_machine.travel(LATER, tick=False):
        home = client.get(url(missed, "home")).content.decode()
        assert 'data-testid="rebook-link"' in home
        page = client.get(url(missed)).content.decode()
        assert 'data-testid="rebook-times"' in page
        first = page.split('name="start" value="')[1].split('"')[0]
        response = client.post(url(missed), {"start": first})

    assert response.status_code == 302
    loop = Rebooking.objects.get(missed_appointment=missed)
    assert loop.state == "rebooked"
    assert loop.rebooked_appointment.start == datetime.fromisoformat(first)


def test_the_link_after_a_phone_booking_says_she_already_has_a_new_appointment(client, missed, galactogram, scheduler):
    with time_machine.travel(LATER, tick=False):
        book_appointment(
            patient=missed.patient,
            procedure=galactogram,
            start=datetime(2026, 11, 4, 10, 0, tzinfo=NY),
            duration_minutes=45,
            actor=scheduler,
            order=Order.objects.get(pk=missed.order_id),
            now=LATER,
        )
        response = client.post(url(missed), {"start": "2026-11-05T10:00:00-05:00"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "Ya tiene una nueva cita el miércoles 4 de noviembre, 10:00" in html
    assert Rebooking.objects.get(missed_appointment=missed).rebooked_appointment.start.day == 4
