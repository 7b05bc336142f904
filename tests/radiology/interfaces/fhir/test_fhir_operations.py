"""$find, $book and $cancel go through the booking services: what the pages would do."""

import pytest

from notifications.models import Message
from radiology.models import Appointment, AppointmentStatus
from tests.factories import OrderFactory, PatientFactory
from tests.radiology.interfaces.fhir.conftest import at, book, fhir

pytestmark = pytest.mark.django_db


def parameters(**values) -> dict:
    params = []
    for name, value in values.items():
        if isinstance(value, dict):
            params.append({"name": name, "valueReference": value})
        elif isinstance(value, int):
            params.append({"name": name, "valueInteger": value})
        else:
            params.append({"name": name, "valueString": value})
    return {"resourceType": "Parameters", "parameter": params}


def proposals(response) -> list[dict]:
    return [e["resource"] for e in response.body.get("entry", []) if e["resource"]["resourceType"] == "Appointment"]


def test_find_returns_one_proposed_appointment_per_free_start_outside_the_lead_time(client, clock, department):
    response = fhir(client, "POST", "Appointment/$find", parameters(start="2026-11-16", end="2026-11-20", _count=5))
    found = proposals(response)
    assert response.status_code == 200
    assert response.body["total"] == 5
    assert [p["start"] for p in found][:3] == [
        "2026-11-18T08:00:00-05:00",  # 48 h lead time from Monday 08:00
        "2026-11-18T08:15:00-05:00",
        "2026-11-18T08:30:00-05:00",
    ]
    assert {p["status"] for p in found} == {"proposed"}
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in response.body["entry"])
    codes = {p["actor"]["reference"].split("/")[0] for p in found[0]["participant"]}
    assert codes == {"Practitioner", "Location"}


def test_find_narrows_to_a_practitioner_and_a_location(client, clock, department, scheduler):
    busy_technologist, other = department.technologists
    book(start=at(2, 8), actor=scheduler, technologist=busy_technologist, room=department.rooms[0])
    room = department.rooms[1]
    response = fhir(
        client,
        "POST",
        "Appointment/$find",
        parameters(
            start="2026-11-18",
            end="2026-11-18",
            practitioner={"reference": f"Practitioner/{busy_technologist.pk}"},
            location={"reference": f"Location/{room.pk}"},
            _count=3,
        ),
    )
    found = proposals(response)
    assert found[0]["start"] == "2026-11-18T08:45:00-05:00"  # after her 08:00 booking
    for proposal in found:
        actors = {p["actor"]["reference"] for p in proposal["participant"]}
        assert f"Practitioner/{busy_technologist.pk}" in actors
        assert f"Location/{room.pk}" in actors


def test_find_refuses_a_window_longer_than_31_days(client, clock, department):
    response = client.post(
        "/fhir/R4/Appointment/$find",
        parameters(start="2026-11-16", end="2026-12-31"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_book_takes_a_proposal_as_it_is_and_answers_201_with_the_booked_appointment(client, clock, department):
    patient = PatientFactory()
    found = proposals(
        fhir(
            client,
            "POST",
            "Appointment/$find",
            parameters(start="2026-11-18", _count=1, patient={"reference": f"Patient/{patient.pk}"}),
        )
    )
    response = fhir(client, "POST", "Appointment/$book", found[0])
    booked = response.body
    assert response.status_code == 201
    assert response["Location"] == f"http://testserver/fhir/R4/Appointment/{booked['id']}"
    assert booked["status"] == "booked"
    assert booked["start"] == found[0]["start"]
    appointment = Appointment.objects.get(pk=booked["id"])
    assert appointment.patient == patient
    assert {p["actor"]["reference"] for p in found[0]["participant"]} <= {
        p["actor"]["reference"] for p in booked["participant"]
    }
    # The same service as the pages: the reminders are planned with the booking.
    assert Message.objects.filter(subject=appointment.holder, kind="prep").exists()
    assert appointment.transitions.filter(action="book").exists()


def _proposal_naming(client, patient, **narrow) -> dict:
    """The first $find proposal for 18 November in the given location and/or practitioner."""
    found = proposals(
        fhir(
            client,
            "POST",
            "Appointment/$find",
            parameters(start="2026-11-18", _count=1, patient={"reference": f"Patient/{patient.pk}"}, **narrow),
        )
    )
    return found[0]


def test_book_holds_the_room_the_proposal_named_not_the_first_free_one(client, clock, department):
    # Both rooms are free; booking with the room left open would take the first of them.
    first_room, second_room = department.rooms
    patient = PatientFactory()
    proposal = _proposal_naming(client, patient, location={"reference": f"Location/{second_room.pk}"})
    assert f"Location/{second_room.pk}" in {p["actor"]["reference"] for p in proposal["participant"]}

    booked = fhir(client, "POST", "Appointment/$book", proposal).body

    appointment = Appointment.objects.get(pk=booked["id"])
    assert appointment.room == second_room != first_room
    assert f"Location/{second_room.pk}" in {p["actor"]["reference"] for p in booked["participant"]}
    assert booked["start"] == proposal["start"]


def test_book_holds_the_technologist_the_proposal_named_not_the_first_free_one(client, clock, department):
    first, second = department.technologists
    patient = PatientFactory()
    proposal = _proposal_naming(client, patient, practitioner={"reference": f"Practitioner/{second.pk}"})

    booked = fhir(client, "POST", "Appointment/$book", proposal).body

    appointment = Appointment.objects.get(pk=booked["id"])
    assert appointment.technologist == second != first
    assert f"Practitioner/{second.pk}" in {p["actor"]["reference"] for p in booked["participant"]}


def test_book_from_an_order_keeps_its_accession_number(client, clock, department):
    order = OrderFactory()
    proposal = proposals(fhir(client, "POST", "Appointment/$find", parameters(start="2026-11-18", _count=1)))[0]
    proposal["participant"].append({"actor": {"reference": f"Patient/{order.patient_id}"}, "status": "needs-action"})
    proposal["identifier"] = [
        {
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ACSN"}]},
            "value": order.accession_number,
        }
    ]
    booked = fhir(client, "POST", "Appointment/$book", proposal).body
    assert booked["identifier"][0]["value"] == order.accession_number


def test_book_of_a_taken_time_is_409_with_an_operation_outcome_and_the_next_free_proposals(
    client, clock, department, scheduler
):
    found = proposals(
        fhir(
            client,
            "POST",
            "Appointment/$find",
            parameters(start="2026-11-18", _count=1, patient={"reference": f"Patient/{PatientFactory().pk}"}),
        )
    )
    proposal = found[0]
    staff = [p["actor"]["reference"] for p in proposal["participant"]]
    room_id = int(next(r for r in staff if r.startswith("Location/")).split("/")[1])
    book(
        start=at(2, 8),
        actor=scheduler,
        room=department.rooms[0] if department.rooms[0].pk == room_id else department.rooms[1],
    )
    response = fhir(client, "POST", "Appointment/$book", proposal)
    assert response.status_code == 409
    entries = response.body["entry"]
    assert entries[0]["resource"]["resourceType"] == "OperationOutcome"
    assert entries[0]["resource"]["issue"][0]["code"] == "conflict"
    assert entries[0]["search"]["mode"] == "outcome"
    later = [e["resource"] for e in entries[1:]]
    assert later
    assert all(p["status"] == "proposed" and p["start"] > proposal["start"] for p in later)


def test_book_inside_the_lead_time_is_422_from_the_service(client, clock, department):
    patient = PatientFactory()
    proposal = proposals(
        fhir(
            client,
            "POST",
            "Appointment/$find",
            parameters(start="2026-11-18", _count=1, patient={"reference": f"Patient/{patient.pk}"}),
        )
    )[0]
    proposal["start"] = "2026-11-16T14:00:00-05:00"
    proposal["end"] = "2026-11-16T14:45:00-05:00"
    response = client.post("/fhir/R4/Appointment/$book", proposal, format="json")
    assert response.status_code == 422
    assert response.json()["issue"][0]["code"] == "business-rule"
    assert "48 hours" in response.json()["issue"][0]["diagnostics"]
    assert not Appointment.objects.exists()


def test_book_without_a_patient_is_422(client, clock, department):
    proposal = proposals(fhir(client, "POST", "Appointment/$find", parameters(start="2026-11-18", _count=1)))[0]
    response = client.post("/fhir/R4/Appointment/$book", proposal, format="json")
    assert response.status_code == 422
    assert "patient" in response.json()["issue"][0]["diagnostics"]


def _coded(code: str, display: str) -> dict:
    coding = {"system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason", "code": code}
    reason = {"coding": [{**coding, "display": display}]}
    return {"resourceType": "Parameters", "parameter": [{"name": "reason", "valueCodeableConcept": reason}]}


def test_cancel_with_a_coded_reason_frees_the_time_through_the_service(client, clock, department, scheduler):
    appointment = book(start=at(2, 9), actor=scheduler)
    response = fhir(client, "POST", f"Appointment/{appointment.pk}/$cancel", _coded("pat", "Patient"))
    assert response.status_code == 200
    assert response.body["status"] == "cancelled"
    assert response.body["cancelationReason"]["text"] == "Patient asked to cancel"
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancel_reason_code == "patient_request"
    assert not appointment.order.appointments.filter(status="booked").exists()
    again = fhir(client, "POST", f"Appointment/{appointment.pk}/$cancel", parameters(reason="twice"))
    assert again.status_code == 422


def test_a_client_cannot_say_the_patient_cancelled_through_her_own_link(client, clock, department, scheduler):
    appointment = book(start=at(2, 9), actor=scheduler)
    body = _coded("pat-cpp", "Patient: Canceled via Patient Portal")
    response = fhir(client, "POST", f"Appointment/{appointment.pk}/$cancel", body)
    assert response.status_code in (400, 422)
    appointment.refresh_from_db()
    assert appointment.status != AppointmentStatus.CANCELLED


def test_cancel_needs_a_reason(client, clock, department, scheduler):
    appointment = book(start=at(2, 9), actor=scheduler)
    response = fhir(client, "POST", f"Appointment/{appointment.pk}/$cancel", {"resourceType": "Parameters"})
    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_find_also_answers_a_get_with_the_same_parameters(client, clock, department):
    found = proposals(
        fhir(client, "GET", "Appointment/$find", start="2026-11-18", end="2026-11-18", _count=2, minutesDuration=30)
    )
    assert [p["start"] for p in found] == ["2026-11-18T08:00:00-05:00", "2026-11-18T08:15:00-05:00"]
    assert {p["minutesDuration"] for p in found} == {30}


@pytest.mark.parametrize(
    "reason,code,text",
    [
        ({"valueString": "Moved to another city"}, "other", "Other: Moved to another city"),
        ({"valueString": "booked_in_error"}, "booked_in_error", "Booked in error"),
        (
            {"valueCoding": {"system": "urn:galactogram:fhir:CodeSystem:cancel-reason", "code": "discharge_stopped"}},
            "discharge_stopped",
            "Discharge has stopped",
        ),
        (
            {
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason",
                            "code": "pat-mt",
                            "display": "Patient: Medical trauma",
                        }
                    ]
                }
            },
            "other",
            "Other: Patient: Medical trauma",
        ),
    ],
)
def test_cancel_reasons_map_to_the_catalog_codes(client, clock, department, scheduler, reason, code, text):
    appointment = book(start=at(2, 9), actor=scheduler)
    body = {"resourceType": "Parameters", "parameter": [{"name": "reason", **reason}]}
    response = fhir(client, "POST", f"Appointment/{appointment.pk}/$cancel", body)
    assert response.status_code == 200
    assert response.body["cancelationReason"]["text"] == text
    assert response.body["cancelationReason"]["coding"][0]["code"] == code


def test_cancel_with_an_unknown_code_of_ours_is_422(client, clock, department, scheduler):
    appointment = book(start=at(2, 9), actor=scheduler)
    coding = {"system": "urn:galactogram:fhir:CodeSystem:cancel-reason", "code": "bored"}
    body = {"resourceType": "Parameters", "parameter": [{"name": "reason", "valueCoding": coding}]}
    response = fhir(client, "POST", f"Appointment/{appointment.pk}/$cancel", body)
    assert response.status_code == 422
    assert "bored" in response.body["issue"][0]["diagnostics"]
