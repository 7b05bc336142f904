"""The patient's page shows one current status, decided in one place (patient_status)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from radiology.models import Appointment
from radiology.services import portal as services
from radiology.services.patient_links import patient_path
from radiology.services.portal import Status
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def status_of(appointment, now=None):
    appointment.refresh_from_db()
    return services.patient_status(appointment, now=now or timezone.now())


def test_a_new_appointment_awaits_her_confirmation():
    assert status_of(AppointmentFactory()) == Status.AWAITING


def test_confirming_withdraws_an_earlier_request_for_another_time():
    appointment = AppointmentFactory()
    services.request_another_time(appointment_id=appointment.pk, now=timezone.now())

    services.confirm_attendance(appointment_id=appointment.pk, now=timezone.now())

    assert status_of(appointment) == Status.CONFIRMED
    assert appointment.reschedule_requested_at is None


def test_asking_for_another_time_replaces_an_earlier_confirmation():
    appointment = AppointmentFactory()
    services.confirm_attendance(appointment_id=appointment.pk, now=timezone.now())

    services.request_another_time(appointment_id=appointment.pk, now=timezone.now())

    assert status_of(appointment) == Status.ANOTHER_TIME
    assert appointment.patient_confirmed_at is None


def test_when_both_were_recorded_before_the_rule_the_later_wish_counts():
    now = timezone.now()
    asked_first = AppointmentFactory(reschedule_requested_at=now - timedelta(hours=2), patient_confirmed_at=now)
    confirmed_first = AppointmentFactory(reschedule_requested_at=now, patient_confirmed_at=now - timedelta(hours=2))

    assert status_of(asked_first) == Status.CONFIRMED
    assert status_of(confirmed_first) == Status.ANOTHER_TIME


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("cancelled", Status.CANCELLED),
        ("no_show", Status.NO_SHOW),
        ("completed", Status.DONE),
        ("follow_up", Status.DONE),
        ("incomplete", Status.DONE),
        ("checked_in", Status.HERE),
        ("in_procedure", Status.HERE),
    ],
)
def test_the_appointments_state_comes_before_her_wishes(state, expected):
    appointment = AppointmentFactory(patient_confirmed_at=timezone.now())
    Appointment.objects.filter(pk=appointment.pk).update(
        status=state, cancel_reason="x", abort_reason="x", performed_at=appointment.end
    )

    assert status_of(appointment) == expected


def test_an_upcoming_appointment_whose_time_has_passed_cannot_be_acted_on(client):
    appointment = AppointmentFactory()
    later = appointment.start + timedelta(minutes=5)

    assert status_of(appointment, now=later) == Status.PASSED
    assert not services.confirm_attendance(appointment_id=appointment.pk, now=later)
    assert not services.request_another_time(appointment_id=appointment.pk, now=later)


def test_the_page_shows_one_status_sentence_and_no_other(client):
    appointment = AppointmentFactory()
    services.confirm_attendance(appointment_id=appointment.pk, now=timezone.now())
    services.request_another_time(appointment_id=appointment.pk, now=timezone.now())

    text = client.get(patient_path(appointment.pk)).text

    assert text.count('data-testid="status"') == 1
    assert "You asked for another time: we will call you." in text
    assert "You have confirmed" not in text
    assert "I will come" in text  # she can still change her mind
