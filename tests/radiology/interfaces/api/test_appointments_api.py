from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from radiology.models import Appointment, CheckInChecklist
from radiology.services import reminders
from radiology.services.transitions import perform_transition
from scheduling.clinic_time import clinic_zone
from tests.actions import CHECKLIST
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
    # Each count is of a second call: the first after new staff (the factories make them) also
    # reloads her permissions, whose counter any change of anyone's role moves.
    api.get("/api/v1/appointments", {"date": "2026-03-04"})
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/appointments", {"date": "2026-03-04"})
    for hour in (10, 11, 12, 13):
        AppointmentFactory(start=at(hour))
    api.get("/api/v1/appointments", {"date": "2026-03-04"})
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


def test_a_technologist_checks_a_patient_in_through_the_api_with_the_checklist(tech_api):
    appointment = AppointmentFactory(start=at(10))

    with time_machine.travel(NOW, tick=False):
        response = tech_api.post(
            f"/api/v1/appointments/{appointment.pk}/transitions",
            {"action": "check_in", "checklist": CHECKLIST},
            format="json",
        )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "checked_in"
    assert response.json()["fhir_status"] == "checked-in"
    assert response.json()["transitions"][-1]["note"] == "Checklist confirmed"
    assert CheckInChecklist.objects.filter(appointment=appointment, consent_signed=True).exists()


@pytest.mark.parametrize(
    ("action", "body", "missing"),
    [
        ("check_in", {}, "checklist"),
        ("check_in", {"checklist": {"identity_confirmed": True}}, "checklist.consent_signed"),
        ("complete", {}, "outcome"),
        ("abort", {}, "reason_code"),
        ("did_not_proceed", {"note": "no discharge"}, "reason_code"),
        ("cancel", {}, "reason_code"),
        ("arrange_follow_up", {}, "plan"),
    ],
)
def test_an_action_without_its_required_input_is_a_400_naming_it_and_changes_nothing(tech_api, action, body, missing):
    appointment = AppointmentFactory(start=at(10))
    before = Appointment.objects.values().get(pk=appointment.pk)

    with time_machine.travel(NOW, tick=False):
        response = tech_api.post(
            f"/api/v1/appointments/{appointment.pk}/transitions", {"action": action, **body}, format="json"
        )

    assert response.status_code == 400, response.json()
    assert missing in response.json()["fields"]
    assert Appointment.objects.values().get(pk=appointment.pk) == before
    assert not appointment.transitions.exists()


def test_a_transition_the_state_does_not_allow_is_a_409_saying_why(tech_api):
    appointment = AppointmentFactory(start=at(10))

    response = tech_api.post(
        f"/api/v1/appointments/{appointment.pk}/transitions",
        {"action": "complete", "outcome": {"ducts": "single", "contrast_volume_ml": "1.5", "complications": ["none"]}},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"] == "Cannot record the outcome: the appointment is booked."


def test_a_scheduler_may_not_start_a_procedure(api):
    appointment = AppointmentFactory(start=at(10))

    response = api.post(f"/api/v1/appointments/{appointment.pk}/transitions", {"action": "start"})

    assert response.status_code == 403
    assert "start" in response.json()["error"]


def test_no_show_is_refused_before_the_start_and_offered_after_it(tech_api):
    appointment = AppointmentFactory(start=at(10))
    url = f"/api/v1/appointments/{appointment.pk}/transitions"

    with time_machine.travel(at(10, 5), tick=False):
        assert "no_show" not in tech_api.get(f"/api/v1/appointments/{appointment.pk}").json()["allowed_actions"]
        early = tech_api.post(url, {"action": "no_show"}, format="json")
    with time_machine.travel(at(10, 20), tick=False):
        assert "no_show" in tech_api.get(f"/api/v1/appointments/{appointment.pk}").json()["allowed_actions"]
        late = tech_api.post(url, {"action": "no_show"}, format="json")

    assert early.status_code == 409 and "15 minutes after" in early.json()["error"]
    assert late.status_code == 200 and late.json()["status"] == "no_show"


def test_the_browser_session_authenticates_too(client, scheduler):
    client.force_login(scheduler)

    assert client.get("/api/v1/appointments").status_code == 200


def test_an_appointment_lists_its_planned_reminders_in_clinic_time(api, galactogram):
    appointment = AppointmentFactory(start=at(10, day=NOW.date() + timedelta(days=7)), procedure=galactogram)
    with time_machine.travel(NOW, tick=False):
        reminders.on_booked(appointment=appointment, now=timezone.now())

    body = api.get(f"/api/v1/appointments/{appointment.pk}").json()

    planned = {r["kind"]: r for r in body["reminders"]}
    assert set(planned) == {"prep", "no_expression", "day_before"}
    assert planned["no_expression"]["due_at"] == "2026-03-09T10:00:00-04:00"  # 48 h of real time, across DST
    assert planned["day_before"]["due_at"] == "2026-03-10T17:00:00-04:00"
    assert planned["prep"]["label"] == "Preparation instructions"
    assert {r["status"] for r in body["reminders"]} == {"scheduled"}
