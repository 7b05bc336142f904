"""Booking, rescheduling and cancelling through the API, on a small department."""

from datetime import datetime, time, timedelta

import pytest
import time_machine

from radiology.models import Appointment
from scheduling.clinic_time import clinic_zone
from scheduling.models import Reservation
from tests.factories import PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

# Monday 2 March 2026, 08:00 in the clinic; Thursday 5 March is well past the 48-hour lead time.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=clinic_zone())
THURSDAY = NOW.date() + timedelta(days=3)


def at(day, hour, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clinic_zone())


@pytest.fixture
def patient(db):
    return PatientFactory()


def book(api, patient, start, **extra):
    body = {"patient": patient.pk, "procedure": "galactogram", "start": start.isoformat(), "duration": 45, **extra}
    return api.post("/api/v1/appointments", body, format="json")


def active_reservations(appointment_id):
    return Reservation.objects.filter(holder=f"appointment:{appointment_id}", active=True)


def test_slots_are_the_earliest_free_times_with_the_clinic_offset(api, dept):
    response = api.get(
        "/api/v1/slots",
        {
            "procedure": "galactogram",
            "start": THURSDAY.isoformat(),
            "end": THURSDAY.isoformat(),
            "duration": 45,
            "limit": 3,
        },
    )

    assert response.status_code == 200, response.json()
    slots = response.json()["slots"]
    assert len(slots) == 3
    assert slots[0]["start"] == "2026-03-05T08:00:00-05:00"
    assert slots[0]["end"] == "2026-03-05T08:45:00-05:00"
    assert slots[0]["room"] == {"id": dept.rooms[0].pk, "name": dept.rooms[0].name}
    assert slots[0]["radiologist"]["id"] == dept.radiologists[0].pk
    assert slots[0]["technologist"]["id"] == dept.technologists[0].pk
    assert [s["start"] for s in slots] == sorted(s["start"] for s in slots)


def test_booking_returns_201_with_the_appointment_and_reserves_each_resource(api, scheduler, dept, patient):
    response = book(api, patient, at(THURSDAY, 9))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "booked"
    assert body["fhir_status"] == "booked"
    assert body["start"] == "2026-03-05T09:00:00-05:00"
    assert body["end"] == "2026-03-05T09:45:00-05:00"
    assert body["resources"]["room"]["id"] == dept.rooms[0].pk
    assert body["resources"]["radiologist"]["id"] == dept.radiologists[0].pk
    assert body["resources"]["technologist"]["id"] == dept.technologists[0].pk
    assert active_reservations(body["id"]).count() == 3
    assert Appointment.objects.get(pk=body["id"]).booked_by == scheduler


def test_booking_a_taken_time_is_a_409_with_the_next_free_times(api, dept, patient):
    assert book(api, patient, at(THURSDAY, 9)).status_code == 201

    response = book(api, PatientFactory(), at(THURSDAY, 9))

    assert response.status_code == 409
    body = response.json()
    assert "error" in body
    assert body["suggestions"], body
    assert all(s["start"] != "2026-03-05T09:00:00-05:00" for s in body["suggestions"])


def test_booking_inside_48_hours_without_a_reason_names_the_reason_field(api, dept, patient):
    tomorrow = NOW.date() + timedelta(days=1)

    response = book(api, patient, at(tomorrow, 10))

    assert response.status_code == 400
    assert "lead_time_override_reason" in response.json()["fields"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("given", [987654, {"id": 987654}])
def test_booking_a_patient_who_is_not_there_names_the_patient_field_and_writes_nothing(api, dept, given):
    body = {"patient": given, "procedure": "galactogram", "start": at(THURSDAY, 9).isoformat(), "duration": 45}

    response = api.post("/api/v1/appointments", body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["fields"]["patient"] == "There is no patient with id 987654."
    assert not Appointment.objects.exists()
    assert not Reservation.objects.exists()


def test_a_booking_plans_her_texts_by_e_mail_when_her_number_replied_stop(api, dept):
    from notifications.opt_out import opt_out

    patient = PatientFactory(email="her@example.org", preferred_channel="sms")
    opt_out(number=str(patient.phone), now=NOW)

    response = book(api, patient, at(THURSDAY, 9))

    assert response.status_code == 201, response.json()
    assert {r["channel"] for r in response.json()["reminders"]} == {"email"}


def test_booking_inside_48_hours_with_a_reason_is_recorded(api, dept, patient):
    tomorrow = NOW.date() + timedelta(days=1)

    response = book(api, patient, at(tomorrow, 10), lead_time_override_reason="Surgeon needs it before Friday")

    assert response.status_code == 201, response.json()
    assert response.json()["lead_time_override_reason"] == "Surgeon needs it before Friday"


def test_booking_outside_working_hours_is_refused_with_json(api, dept, patient):
    response = book(api, patient, at(THURSDAY, 20))

    assert response.status_code in (400, 409)
    assert "error" in response.json()
    assert not Appointment.objects.exists()


def test_rescheduling_moves_the_appointment_and_its_reservations(api, dept, patient):
    appointment_id = book(api, patient, at(THURSDAY, 9)).json()["id"]

    response = api.post(
        f"/api/v1/appointments/{appointment_id}/reschedule",
        {"start": at(THURSDAY, 14).isoformat(), "note": "Patient asked for the afternoon"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["start"] == "2026-03-05T14:00:00-05:00"
    assert body["version"] == 2
    starts = {r.start for r in active_reservations(appointment_id)}
    assert starts == {at(THURSDAY, 14)}


def test_rescheduling_onto_a_taken_time_is_a_409_with_suggestions(api, dept, patient):
    book(api, PatientFactory(), at(THURSDAY, 14))
    appointment_id = book(api, patient, at(THURSDAY, 9)).json()["id"]

    response = api.post(
        f"/api/v1/appointments/{appointment_id}/reschedule", {"start": at(THURSDAY, 14).isoformat()}, format="json"
    )

    assert response.status_code == 409
    assert "suggestions" in response.json()
    assert Appointment.objects.get(pk=appointment_id).start == at(THURSDAY, 9)


def test_cancelling_frees_the_room_and_people(api, dept, patient):
    appointment_id = book(api, patient, at(THURSDAY, 9)).json()["id"]

    response = api.post(
        f"/api/v1/appointments/{appointment_id}/cancel", {"reason_code": "discharge_stopped"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert response.json()["fhir_status"] == "cancelled"
    assert response.json()["cancel_reason"] == "Discharge has stopped"
    assert not active_reservations(appointment_id).exists()
    assert book(api, PatientFactory(), at(THURSDAY, 9)).status_code == 201


def test_a_staff_token_cannot_cancel_as_the_patient_through_her_link(api, dept, patient):
    appointment_id = book(api, patient, at(THURSDAY, 9)).json()["id"]

    response = api.post(
        f"/api/v1/appointments/{appointment_id}/cancel", {"reason_code": "patient_via_link"}, format="json"
    )

    assert response.status_code == 400
    assert "reason_code" in response.json()["fields"]
    assert Appointment.objects.get(pk=appointment_id).status == "booked"
    assert active_reservations(appointment_id).exists()


def test_cancelling_twice_is_a_409_saying_it_is_already_cancelled(api, dept, patient):
    appointment_id = book(api, patient, at(THURSDAY, 9)).json()["id"]
    api.post(f"/api/v1/appointments/{appointment_id}/cancel", {"reason_code": "patient_request"}, format="json")

    response = api.post(
        f"/api/v1/appointments/{appointment_id}/cancel", {"reason_code": "patient_request"}, format="json"
    )

    assert response.status_code == 409
    assert "cancel" in response.json()["error"].lower()


def test_cancel_through_the_transitions_endpoint_also_frees_the_resources(api, dept, patient):
    appointment_id = book(api, patient, at(THURSDAY, 9)).json()["id"]

    response = api.post(
        f"/api/v1/appointments/{appointment_id}/transitions",
        {"action": "cancel", "reason_code": "other", "note": "Moved away"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert not active_reservations(appointment_id).exists()


def test_a_no_show_is_recorded_after_the_grace_period_and_frees_the_resources(api, dept, patient):
    appointment_id = book(api, patient, at(THURSDAY, 9)).json()["id"]

    with time_machine.travel(at(THURSDAY, 9, 30), tick=False):
        response = api.post(f"/api/v1/appointments/{appointment_id}/transitions", {"action": "no_show"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["fhir_status"] == "noshow"
    assert not active_reservations(appointment_id).exists()


def test_a_booked_appointment_shows_its_history(api, dept, patient):
    appointment_id = book(api, patient, at(THURSDAY, 9)).json()["id"]
    api.post(f"/api/v1/appointments/{appointment_id}/cancel", {"reason_code": "patient_request"}, format="json")

    body = api.get(f"/api/v1/appointments/{appointment_id}").json()

    assert body["transitions"][-1]["to_status"] == "cancelled"
    assert body["transitions"][-1]["note"] == "Patient asked to cancel"


def test_a_slot_from_the_search_can_be_posted_back_as_offered(api, dept, patient):
    slots = api.get(
        "/api/v1/slots",
        {"procedure": "galactogram", "start": THURSDAY, "end": THURSDAY, "duration": 45, "limit": 2},
    ).json()["slots"]
    offered = slots[1]

    response = api.post(
        "/api/v1/appointments",
        {"patient": patient.pk, "procedure": "galactogram", "duration": 45, **offered},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["start"] == offered["start"]
    assert body["resources"]["room"]["id"] == offered["room"]["id"]
    assert body["resources"]["radiologist"]["id"] == offered["radiologist"]["id"]
    assert body["resources"]["technologist"]["id"] == offered["technologist"]["id"]


def test_a_booking_is_answered_from_what_it_holds_in_a_bounded_number_of_queries(
    api, dept, patient, django_assert_max_num_queries
):
    assert book(api, PatientFactory(), at(THURSDAY, 11)).status_code == 201  # the token's last use noted

    # The token (with the counters its caches follow), her row under the lock (with her live
    # appointments and waiting orders), the rooms and people the fit may choose (named ones:
    # one query, as bench_http_booking's 12 count), their calendars, the order with its number and history
    # record (one statement), the appointment, its holds, its log row, its reminders, the
    # read audit, and the test's savepoint and its release: nothing read back (issue 24).
    with django_assert_max_num_queries(13):
        response = book(api, patient, at(THURSDAY, 9))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(t["action"], t["to_status"]) for t in body["transitions"]] == [("book", "booked")]
    assert body["transitions"][0]["actor"]
    assert {r["kind"] for r in body["reminders"]} >= {"prep"}
    assert body["report"] is None and body["letter"] is None and body["follow_ups"] == []
    assert body["accession_number"] == Appointment.objects.get(pk=body["id"]).order.accession_number
    assert body == api.get(f"/api/v1/appointments/{body['id']}").json() | {"allowed_actions": body["allowed_actions"]}
