"""Her interpreter and access needs, recorded on her page and seen where the day is run: the
day list (a badge with the sentence for screen readers) and the appointment page."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
START = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def morning():
    with time_machine.travel(START.replace(hour=7), tick=False):
        yield


def test_a_technologist_records_her_needs_and_the_day_list_and_appointment_show_them(client):
    appointment = AppointmentFactory(start=START, status="reminded")
    patient = appointment.patient
    client.force_login(StaffMemberFactory(role="technologist").user)
    detail = client.get(reverse("radiology:patient_detail", args=[patient.pk])).content.decode()
    assert reverse("radiology:patient_needs", args=[patient.pk]) in detail
    assert "None recorded." in detail

    response = client.post(
        reverse("radiology:patient_needs", args=[patient.pk]),
        {"interpreter_needed": "on", "interpreter_language": "Arabic", "wheelchair": "on", "hearing_impaired": "on"},
    )
    assert response.status_code == 302

    day = client.get(reverse("radiology:day_list_for", args=["2027-01-13"])).content.decode()
    assert '<span class="visually-hidden">Interpreter needed (Arabic): not booked yet</span>' in day
    assert '<span class="visually-hidden">Uses a wheelchair</span>' in day
    assert '<span class="visually-hidden">Hearing impaired</span>' in day
    page = client.get(appointment.get_absolute_url()).content.decode()
    assert "Interpreter needed (Arabic): not booked yet; Uses a wheelchair; Hearing impaired." in page


def test_booking_an_interpreter_she_does_not_need_is_refused_on_the_form(client):
    appointment = AppointmentFactory(start=START)
    client.force_login(StaffMemberFactory(scheduler=True).user)
    page = client.post(
        reverse("radiology:patient_needs", args=[appointment.patient_id]), {"interpreter_booked": "on"}
    ).content.decode()
    assert "An interpreter is booked only when she needs one" in page
    appointment.patient.refresh_from_db()
    assert not appointment.patient.interpreter_booked


def test_the_day_list_keeps_its_query_count_with_needs_on_every_row(client, django_assert_max_num_queries):
    for hour in (9, 10, 11):
        AppointmentFactory(start=START.replace(hour=hour), patient__wheelchair=True, patient__access_note="Hoist")
    client.force_login(StaffMemberFactory(role="technologist").user)
    url = reverse("radiology:day_list_for", args=["2027-01-13"])
    client.get(url)  # permissions and sessions warmed
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert page.count('<span class="visually-hidden">Uses a wheelchair</span>') == 3
