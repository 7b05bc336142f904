"""A patient link dies when what it was given for changes (issue #23): the number or address it
was sent to, the appointment's time, its cancellation (a read-only page that says so, nothing
more); a link signed in the future is refused."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from procedures.reasons import CancelReason
from radiology.models import Appointment
from radiology.services import portal
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment
from radiology.services.patient_links import make_token, patient_path
from radiology.services.patients import correct_contact
from radiology.services.rescheduling import reschedule_appointment
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday, the frozen clock's day
WEDNESDAY_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def clock_and_department(frozen_clock, dept):
    cache.clear()  # the patient pages' rate limit counts per address


@pytest.fixture
def appointment(galactogram, scheduler):
    patient = PatientFactory(phone="+12025550101", email="ana@example.org")
    return book_appointment(
        patient=patient, procedure=galactogram, start=WEDNESDAY_10, duration_minutes=45, actor=scheduler
    )


def _correct_phone(appointment, scheduler, phone):
    patient = appointment.patient
    correct_contact(
        actor=scheduler,
        patient_id=patient.pk,
        phone=phone,
        email=patient.email,
        preferred_channel=patient.preferred_channel,
        language=patient.language,
    )


def test_the_link_sent_to_a_corrected_wrong_number_opens_nothing_and_cannot_cancel(client, appointment, scheduler):
    old = patient_path(appointment.pk)
    _correct_phone(appointment, scheduler, "+12025550199")

    page = client.get(old)
    cancel = client.post(old + "cancel/")

    assert page.status_code == cancel.status_code == 404
    assert "This link cannot be used" in page.text
    assert appointment.patient.given_name not in page.text
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    assert client.get(patient_path(appointment.pk)).status_code == 200  # the link sent to her new number


def test_a_new_email_address_ends_the_link_sent_to_the_old_one(client, appointment, scheduler):
    old = patient_path(appointment.pk)
    patient = appointment.patient
    correct_contact(
        actor=scheduler,
        patient_id=patient.pk,
        phone=patient.phone,
        email="ana.new@example.org",
        preferred_channel=patient.preferred_channel,
        language=patient.language,
    )

    assert client.get(old).status_code == 404


def test_correcting_nothing_keeps_the_link(client, appointment, scheduler):
    old = patient_path(appointment.pk)
    _correct_phone(appointment, scheduler, str(appointment.patient.phone))

    assert client.get(old).status_code == 200


def test_a_reschedule_by_staff_ends_the_link_to_the_old_time(client, appointment, scheduler):
    old = patient_path(appointment.pk)
    reschedule_appointment(appointment_id=appointment.pk, start=WEDNESDAY_10 + timedelta(days=1), actor=scheduler)

    assert client.get(old).status_code == 404
    assert client.post(old + "cancel/").status_code == 404
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    assert client.get(patient_path(appointment.pk)).status_code == 200  # the "moved" message's link


def test_when_she_moves_it_herself_she_carries_on_with_a_link_for_the_new_time(client, appointment):
    old = patient_path(appointment.pk)
    new_start = portal.reschedule_choices(appointment=appointment, now=NOW)[0]

    response = client.post(old + "new-time/", {"start": new_start.isoformat()}, follow=True)

    assert response.status_code == 200
    assert "Your appointment is moved" in response.text
    assert client.get(old).status_code == 404


def test_after_a_cancellation_the_old_link_shows_only_that_it_is_cancelled(client, appointment, scheduler):
    old = patient_path(appointment.pk)
    cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code=CancelReason.PATIENT_REQUEST)

    page = client.get(old)
    actions = {
        name: client.post(old + suffix, data)
        for name, suffix, data in [
            ("confirm", "confirm/", {}),
            ("another time", "another-time/", {}),
            ("readiness", "readiness/", {"discharge_present": "yes"}),
            ("new time", "new-time/", {"start": WEDNESDAY_10.isoformat()}),
        ]
    }

    assert page.status_code == 200
    assert page.context["status"] == "cancelled"
    assert "<form" not in page.text
    assert {name: r.status_code for name, r in actions.items()} == dict.fromkeys(actions, 302)
    assert all(r["Location"] == old for r in actions.values())
    appointment = Appointment.objects.get(pk=appointment.pk)
    assert (appointment.status, appointment.patient_confirmed_at, appointment.reschedule_requested_at) == (
        "cancelled",
        None,
        None,
    )
    assert not appointment.readiness_responses.exists()


def test_a_link_signed_in_the_future_is_refused(client, appointment):
    with time_machine.travel(NOW + timedelta(hours=1)):
        token = make_token(appointment.pk)

    assert client.get(f"/p/{appointment.pk}/{token}/").status_code == 404


def test_a_link_signed_a_few_seconds_ahead_by_another_machine_still_works(client, appointment):
    with time_machine.travel(NOW + timedelta(seconds=20)):
        token = make_token(appointment.pk)

    assert client.get(f"/p/{appointment.pk}/{token}/").status_code == 200
