from datetime import datetime, time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from radiology.services.transitions import perform_transition
from scheduling.clinic_time import clinic_zone
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 8, 0, tzinfo=clinic_zone())


def at(hour, minute=0, day=None):
    return datetime.combine(day or NOW.date(), time(hour, minute), tzinfo=clinic_zone())


def test_appointments_of_a_day_are_listed_with_times_in_the_clinic_offset(api):
    appointment = AppointmentFactory(start=at(9, 30), duration_minutes=30)
    AppointmentFactory(start=at(9, 30, day=NOW.date().replace(day=5)))

    response = api.get("/api/v1/appointments", {"date": "2026-03-04"})

    assert response.status_code == 200
    (item,) = response.json()["appointments"]
    assert item["id"] == appointment.pk
    assert item["start"] == "2026-03-04T09:30:00-05:00"
    assert item["end"] == "2026-03-04T10:00:00-05:00"
    assert item["fhir_status"] == "booked"
    assert item["resources"]["room"] == {"id": appointment.room_id, "name": appointment.room.name}


def test_the_day_list_runs_a_fixed_number_of_queries(api):
    AppointmentFactory(start=at(8))
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/appointments", {"date": "2026-03-04"})
    for hour in (10, 11, 12, 13):
        AppointmentFactory(start=at(hour))
    with CaptureQueriesContext(connection) as five:
        response = api.get("/api/v1/appointments", {"date": "2026-03-04"})

    assert len(response.json()["appointments"]) == 5
    assert len(five) == len(one)


def test_an_appointment_comes_with_its_transition_history_and_reminders(api, technologist):
    appointment = AppointmentFactory(start=at(10))
    perform_transition(appointment_id=appointment.pk, action="send_prep", actor=None, now=at(7, day=NOW.date()))

    response = api.get(f"/api/v1/appointments/{appointment.pk}")

    body = response.json()
    assert body["status"] == "prep_sent"
    assert [(t["action"], t["from_status"], t["to_status"], t["actor"]) for t in body["transitions"]] == [
        ("send_prep", "booked", "prep_sent", "System")
    ]
    assert isinstance(body["reminders"], list)
    assert "cancel" in body["allowed_actions"]


def test_a_technologist_checks_a_patient_in_through_the_api(tech_api):
    appointment = AppointmentFactory(start=at(10))

    with time_machine.travel(NOW, tick=False):
        response = tech_api.post(
            f"/api/v1/appointments/{appointment.pk}/transitions", {"action": "check_in", "note": "ID checked"}
        )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "checked_in"
    assert response.json()["fhir_status"] == "checked-in"
    assert response.json()["transitions"][-1]["note"] == "ID checked"


def test_a_transition_the_state_does_not_allow_is_a_409_saying_why(tech_api):
    appointment = AppointmentFactory(start=at(10))

    response = tech_api.post(f"/api/v1/appointments/{appointment.pk}/transitions", {"action": "complete"})

    assert response.status_code == 409
    assert response.json()["error"] == "Cannot complete: the appointment is booked."


def test_a_scheduler_may_not_start_a_procedure(api):
    appointment = AppointmentFactory(start=at(10))

    response = api.post(f"/api/v1/appointments/{appointment.pk}/transitions", {"action": "start"})

    assert response.status_code == 403
    assert "start procedure" in response.json()["error"]


def test_the_browser_session_authenticates_too(client, scheduler):
    client.force_login(scheduler)

    assert client.get("/api/v1/appointments").status_code == 200


def test_an_appointment_lists_its_planned_reminders_in_clinic_time(api, monkeypatch):
    from radiology.services import reminders

    due = datetime(2026, 3, 3, 9, 0, tzinfo=clinic_zone())
    plan = [{"kind": "prep_instructions", "audience": "patient", "channel": "sms", "due_at": due, "status": "pending"}]
    monkeypatch.setattr(reminders, "reminders_for", lambda appointment: plan, raising=False)
    appointment = AppointmentFactory()

    body = api.get(f"/api/v1/appointments/{appointment.pk}").json()

    assert body["reminders"] == [
        {
            "kind": "prep_instructions",
            "audience": "patient",
            "channel": "sms",
            "due_at": "2026-03-03T09:00:00-05:00",
            "status": "pending",
        }
    ]
