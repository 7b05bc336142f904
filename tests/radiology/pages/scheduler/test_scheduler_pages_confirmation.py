"""The booking confirmation lists the real reminder plan, in words and in clinic time."""

from datetime import datetime, time, timedelta

import pytest
import time_machine

from radiology.services import reminders
from scheduling.clinic_time import clinic_zone
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

BOOKED_AT = datetime(2026, 3, 2, 11, 0, tzinfo=clinic_zone())  # a Monday
START = datetime.combine(BOOKED_AT.date() + timedelta(days=4), time(10), tzinfo=clinic_zone())  # Friday 10:00


def test_the_confirmation_lists_each_planned_reminder_in_clinic_time(scheduler_client, galactogram):
    appointment = AppointmentFactory(
        start=START, procedure=galactogram, patient=PatientFactory(preferred_channel="sms")
    )
    with time_machine.travel(BOOKED_AT, tick=False):
        reminders.on_booked(appointment=appointment, now=BOOKED_AT)
        response = scheduler_client.get(f"/schedule/booked/{appointment.pk}/")

    assert response.status_code == 200
    assert "Preparation instructions" in response.text
    assert "Reminder: do not express for 48 hours" in response.text
    assert "Day-before reminder" in response.text
    assert "SMS" in response.text
    assert "Wed 4 Mar 10:00" in response.text  # 48 h before Friday 10:00
    assert "Thu 5 Mar 17:00" in response.text  # the day before at 17:00


def test_the_confirmation_says_so_when_nothing_is_planned_yet(scheduler_client):
    appointment = AppointmentFactory()

    response = scheduler_client.get(f"/schedule/booked/{appointment.pk}/")

    assert "will be planned automatically" in response.text
