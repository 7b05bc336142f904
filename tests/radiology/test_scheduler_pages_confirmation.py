from datetime import datetime

import pytest

from radiology.services import reminders
from scheduling.clinic_time import clinic_zone
from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

DUE = datetime(2026, 3, 3, 9, 0, tzinfo=clinic_zone())


@pytest.fixture
def scheduler_client(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    return client


@pytest.fixture
def planned(monkeypatch):
    plan = [
        {"kind": "prep", "audience": "patient", "channel": "sms", "due_at": DUE, "status": "pending"},
        {"kind": "no_expression", "audience": "patient", "channel": "sms", "due_at": DUE, "status": "pending"},
    ]
    monkeypatch.setattr(reminders, "reminders_for", lambda appointment: plan, raising=False)
    return plan


def test_the_confirmation_lists_each_planned_reminder_in_clinic_time(scheduler_client, planned):
    appointment = AppointmentFactory()

    response = scheduler_client.get(f"/schedule/booked/{appointment.pk}/")

    assert response.status_code == 200
    assert "Preparation instructions" in response.text
    assert "Reminder: do not express for 48 hours" in response.text
    assert "Text message (SMS)" in response.text
    assert "Tue 3 Mar 09:00" in response.text


def test_the_confirmation_says_so_when_reminder_planning_is_not_available(scheduler_client, monkeypatch):
    monkeypatch.delattr(reminders, "reminders_for", raising=False)
    appointment = AppointmentFactory()

    response = scheduler_client.get(f"/schedule/booked/{appointment.pk}/")

    assert "will be planned automatically" in response.text
