"""Every resource type read and searched, valid R4, and mapped as the EHR expects."""

import json

import pytest

from radiology.models import AppointmentStatus
from radiology.services.actions import run_action
from radiology.services.cancellation import cancel_appointment
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    ProcedureOutcomeFactory,
    StaffMemberFactory,
    UnavailabilityFactory,
)
from tests.radiology.interfaces.fhir.conftest import APPOINTMENT_STATUS, PARTICIPATION_STATUS, at, book, fhir

pytestmark = pytest.mark.django_db


def test_metadata_is_an_r4_capability_statement_listing_interactions_params_and_operations(client):
    response = fhir(client, "GET", "metadata")
    statement = response.body
    assert response.status_code == 200
    assert statement["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == {
        "Patient",
        "Practitioner",
        "Location",
        "Schedule",
        "Slot",
        "Appointment",
        "ServiceRequest",
        "DiagnosticReport",
        "ImagingStudy",
    }
    assert all({i["code"] for i in r["interaction"]} == {"read", "search-type"} for r in resources.values())
    assert {"date", "actor", "patient", "practitioner", "location", "status", "identifier"} <= {
        p["name"] for p in resources["Appointment"]["searchParam"]
    }
    assert {op["name"] for op in resources["Appointment"]["operation"]} == {"find", "book", "hold", "cancel"}


def test_metadata_is_readable_without_logging_in(db):
    from rest_framework.test import APIClient

    assert fhir(APIClient(), "GET", "metadata").status_code == 200


def test_patient_carries_the_mrn_as_an_identifier_and_is_found_by_it(client, settings):
    patient = PatientFactory(mrn="GAL-0042", family_name="Okafor", given_name="Ada")
    PatientFactory()
    read = fhir(client, "GET", f"Patient/{patient.pk}").body
    assert read["identifier"][0] == {
        "use": "usual",
        "type": read["identifier"][0]["type"],
        "system": settings.FHIR_MRN_SYSTEM,
        "value": "GAL-0042",
    }
    assert read["identifier"][0]["type"]["coding"][0]["code"] == "MR"
    found = fhir(client, "GET", "Patient", identifier=f"{settings.FHIR_MRN_SYSTEM}|gal-0042").body
    assert found["total"] == 1
    assert found["entry"][0]["resource"]["id"] == str(patient.pk)
    assert fhir(client, "GET", "Patient", name="okaf").body["total"] == 1
    assert fhir(client, "GET", "Patient", identifier="urn:other|GAL-0042").body["total"] == 0


def test_patient_search_by_birthdate_prefixes(client):
    from datetime import date

    old = PatientFactory(birth_date=date(1960, 5, 1))
    young = PatientFactory(birth_date=date(1990, 5, 1))
    assert [e["resource"]["id"] for e in fhir(client, "GET", "Patient", birthdate="lt1970").body["entry"]] == [
        str(old.pk)
    ]
    assert [e["resource"]["id"] for e in fhir(client, "GET", "Patient", birthdate="1990-05").body["entry"]] == [
        str(young.pk)
    ]


def test_practitioners_are_the_clinical_staff_only(client, department):
    StaffMemberFactory(manager=True)
    bundle = fhir(client, "GET", "Practitioner").body
    assert bundle["total"] == 3  # one radiologist, two technologists; not the scheduler or the manager
    roles = sorted(e["resource"]["qualification"][0]["code"]["text"] for e in bundle["entry"])
    assert roles == ["Radiologist", "Technologist", "Technologist"]


def test_location_is_a_room_with_its_ae_title_as_identifier(client, department, settings):
    room = department.rooms[0]
    room.ae_title = "MAMMO1"
    room.save()
    location = fhir(client, "GET", f"Location/{room.pk}").body
    assert location["name"] == room.name
    assert location["identifier"] == [{"use": "official", "system": settings.FHIR_AE_TITLE_SYSTEM, "value": "MAMMO1"}]
    assert fhir(client, "GET", "Location", identifier="MAMMO1").body["total"] == 1
    other = fhir(client, "GET", f"Location/{department.rooms[1].pk}").body
    assert "identifier" not in other


def test_one_schedule_per_room_and_per_clinical_staff_member(client, department):
    bundle = fhir(client, "GET", "Schedule").body
    assert bundle["total"] == 2 + 1 + 2
    room = department.rooms[0]
    by_actor = fhir(client, "GET", "Schedule", actor=f"Location/{room.pk}").body
    assert [e["resource"]["id"] for e in by_actor["entry"]] == [f"room-{room.pk}"]
    read = fhir(client, "GET", f"Schedule/room-{room.pk}").body
    assert read["actor"][0]["reference"] == f"Location/{room.pk}"
    assert read["active"] is True


def test_slots_are_free_from_the_engine_busy_when_booked_and_unavailable_on_time_off(
    client, clock, department, scheduler
):
    room = department.rooms[0]
    appointment = book(start=at(2, 9), actor=scheduler, room=room)
    UnavailabilityFactory(resource=room.resource, start=at(2, 13), end=at(2, 17), kind="maintenance")
    bundle = fhir(client, "GET", "Slot", schedule=f"Schedule/room-{room.pk}", start="2026-11-18").body
    slots = [e["resource"] for e in bundle["entry"]]
    busy = [s for s in slots if s["status"] == "busy"]
    unavailable = [s for s in slots if s["status"] == "busy-unavailable"]
    free_starts = {s["start"] for s in slots if s["status"] == "free"}
    assert [s["start"] for s in busy] == [appointment.start.isoformat()]
    assert unavailable[0]["start"] == "2026-11-18T13:00:00-05:00"
    assert unavailable[0]["comment"] == "Maintenance"
    assert "2026-11-18T08:00:00-05:00" in free_starts
    assert "2026-11-18T09:00:00-05:00" not in free_starts  # booked
    assert "2026-11-18T13:00:00-05:00" not in free_starts  # maintenance
    # Each slot can be read back by its id.
    for slot in (busy[0], unavailable[0], next(s for s in slots if s["status"] == "free")):
        assert fhir(client, "GET", f"Slot/{slot['id']}").body == slot


def test_appointment_maps_status_performers_room_times_and_accession(client, clock, department, scheduler, settings):
    appointment = book(start=at(2, 9, 30), actor=scheduler, side="left", indication="bloody")
    resource = fhir(client, "GET", f"Appointment/{appointment.pk}").body
    assert resource["status"] == "booked"
    assert resource["start"] == "2026-11-18T09:30:00-05:00"
    assert resource["end"] == "2026-11-18T10:15:00-05:00"
    assert resource["minutesDuration"] == 45
    assert [c["coding"][0]["code"] for c in resource["serviceType"]] == ["19030"]
    assert [c["code"] for c in resource["appointmentType"]["coding"]] == ["19030"]
    participants = {p["actor"]["reference"]: p for p in resource["participant"]}
    assert f"Patient/{appointment.patient_id}" in participants
    assert participants[f"Practitioner/{appointment.radiologist_id}"]["type"][0]["coding"][0]["code"] == "PPRF"
    assert participants[f"Practitioner/{appointment.technologist_id}"]["type"][0]["coding"][0]["code"] == "SPRF"
    assert f"Location/{appointment.room_id}" in participants
    assert resource["identifier"][0]["type"]["coding"][0]["code"] == "ACSN"
    assert resource["identifier"][0]["system"] == settings.FHIR_ACCESSION_SYSTEM
    assert resource["identifier"][0]["value"] == appointment.order.accession_number
    assert "cancelationReason" not in resource
    # No clinical detail: neither the side nor the indication of the order.
    text = json.dumps(resource).lower()
    assert "left" not in text
    assert "bloody" not in text
    assert resource["comment"] == f"Mammary ductogram (galactogram), 45 min, {appointment.room.name}"


def test_performed_appointment_adds_the_imaging_code(client, clock, department):
    outcome = ProcedureOutcomeFactory(imaging_cpt="77054")
    resource = fhir(client, "GET", f"Appointment/{outcome.appointment.pk}").body
    assert resource["status"] == "fulfilled"
    assert [c["coding"][0]["code"] for c in resource["serviceType"]] == ["19030", "77054"]
    assert [c["code"] for c in resource["appointmentType"]["coding"]] == ["19030", "77054"]


def test_cancelation_reason_only_when_cancelled_or_a_no_show(client, clock, department, scheduler):
    cancelled = book(start=at(2, 9), actor=scheduler)
    cancel_appointment(appointment_id=cancelled.pk, actor=scheduler, reason_code="patient_unwell", note="Has a cold")
    missed = book(start=at(2, 11), actor=scheduler)
    clock.move_to(at(2, 12))
    run_action(appointment_id=missed.pk, action="no_show", actor=scheduler)
    cancelled_fhir = fhir(client, "GET", f"Appointment/{cancelled.pk}").body
    missed_fhir = fhir(client, "GET", f"Appointment/{missed.pk}").body
    assert cancelled_fhir["status"] == "cancelled"
    assert cancelled_fhir["cancelationReason"]["text"] == "Patient unwell: Has a cold"
    assert [c["code"] for c in cancelled_fhir["cancelationReason"]["coding"]] == ["patient_unwell", "pat"]
    assert missed_fhir["status"] == "noshow"
    assert missed_fhir["cancelationReason"]["coding"][0]["code"] == "pat-noshow"


@pytest.mark.parametrize("status", [s.value for s in AppointmentStatus])
def test_every_appointment_state_maps_to_an_r4_status_and_participant_status(client, status):
    appointment = AppointmentFactory(status=status, cancel_reason="x", abort_reason="x")
    resource = fhir(client, "GET", f"Appointment/{appointment.pk}").body
    assert resource["status"] in APPOINTMENT_STATUS
    assert {p["status"] for p in resource["participant"]} <= PARTICIPATION_STATUS
    assert ("cancelationReason" in resource) == (status in ("cancelled", "no_show"))


def test_the_operations_in_the_capability_statement_resolve_to_operation_definitions(client):
    statement = fhir(client, "GET", "metadata").body
    appointment = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Appointment")
    for operation in appointment["operation"]:
        path = operation["definition"].removeprefix("http://testserver")
        definition = fhir(client, "GET", path).body
        assert definition["code"] == operation["name"]
        assert definition["url"] == operation["definition"]
    assert client.get("/fhir/R4/OperationDefinition/Appointment-waitlist").status_code == 404


def test_a_staff_members_free_slots_leave_out_her_bookings_and_time_off(client, clock, department, scheduler):
    nurse = department.technologists[1]
    book(start=at(2, 8), actor=scheduler, technologist=nurse)
    UnavailabilityFactory(resource=nurse.resource, start=at(2, 12), end=at(2, 17), kind="time_off", reason="Dentist")
    bundle = fhir(client, "GET", "Slot", schedule=f"Schedule/staff-{nurse.pk}", start="2026-11-18").body
    slots = [e["resource"] for e in bundle["entry"]]
    free = {s["start"] for s in slots if s["status"] == "free"}
    assert "2026-11-18T08:00:00-05:00" not in free
    assert "2026-11-18T08:45:00-05:00" in free
    assert not any("T12:" in s or "T13:" in s for s in free)
    off = next(s for s in slots if s["status"] == "busy-unavailable")
    assert off["comment"] == "Time off"  # not the personal reason
    assert all(s["schedule"]["reference"] == f"Schedule/staff-{nurse.pk}" for s in slots)
