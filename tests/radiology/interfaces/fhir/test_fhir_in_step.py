"""FHIR in step with the other doors (issue #18 C): merges shown on Patient, versions on
reads (ETag, meta.versionId, If-None-Match), `_summary` served or refused, and a second
galactogram booked over $book with a reason as over the API, $find saying she has one ahead."""

import pytest

from radiology.models import Appointment
from radiology.services.patient_merge import merge_patients
from tests.factories import PatientFactory
from tests.radiology.interfaces.fhir.conftest import FHIR_JSON, NOW, at, book, fhir
from tests.radiology.interfaces.fhir.test_fhir_operations import parameters, proposals

pytestmark = pytest.mark.django_db

ALREADY_BOOKED = "urn:galactogram:fhir:StructureDefinition:already-booked"
REPEAT_REASON = "urn:galactogram:fhir:StructureDefinition:repeat-booking-reason"


# --- merges ---------------------------------------------------------------------------------


def test_a_merged_away_patient_reads_as_replaced_by_the_survivor_and_the_survivor_as_replacing_her(client):
    old = PatientFactory(mrn="X1000001", family_name="Okafor")
    survivor = PatientFactory(mrn="Y1000001", family_name="Okafor")
    merge_patients(from_mrn="X1000001", into_mrn="Y1000001", actor=None, now=NOW)

    read_old = fhir(client, "GET", f"Patient/{old.pk}").body
    read_survivor = fhir(client, "GET", f"Patient/{survivor.pk}").body

    assert read_old["active"] is False
    assert read_old["link"] == [
        {"other": {"reference": f"Patient/{survivor.pk}", "display": "Y1000001"}, "type": "replaced-by"}
    ]
    assert read_survivor["active"] is True
    assert read_survivor["link"] == [
        {"other": {"reference": f"Patient/{old.pk}", "display": "X1000001"}, "type": "replaces"}
    ]
    # Never found by search: the survivor is.
    found = fhir(client, "GET", "Patient", family="okafor").body
    assert [e["resource"]["id"] for e in found["entry"]] == [str(survivor.pk)]
    assert fhir(client, "GET", "Patient", identifier="X1000001").body["total"] == 0


# --- versions -------------------------------------------------------------------------------


def test_a_read_carries_a_weak_etag_equal_to_its_meta_version_id_and_if_none_match_answers_304(client):
    patient = PatientFactory()
    response = fhir(client, "GET", f"Patient/{patient.pk}")
    version = response.body["meta"]["versionId"]

    assert response["ETag"] == f'W/"{version}"'
    again = client.get(f"/fhir/R4/Patient/{patient.pk}", HTTP_ACCEPT=FHIR_JSON, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""
    other = client.get(f"/fhir/R4/Patient/{patient.pk}", HTTP_ACCEPT=FHIR_JSON, HTTP_IF_NONE_MATCH='W/"0000"')
    assert other.status_code == 200


def test_the_version_changes_when_the_resource_changes_and_search_entries_carry_it(client):
    patient = PatientFactory(family_name="Okafor")
    before = fhir(client, "GET", f"Patient/{patient.pk}").body["meta"]["versionId"]
    patient.family_name = "Okafor-Mensah"
    patient.save()

    after = fhir(client, "GET", f"Patient/{patient.pk}")

    assert after.body["meta"]["versionId"] != before
    stale = client.get(f"/fhir/R4/Patient/{patient.pk}", HTTP_ACCEPT=FHIR_JSON, HTTP_IF_NONE_MATCH=f'W/"{before}"')
    assert stale.status_code == 200
    entry = fhir(client, "GET", "Patient", _id=str(patient.pk)).body["entry"][0]["resource"]
    assert entry["meta"]["versionId"] == after.body["meta"]["versionId"]


def test_an_appointment_read_keeps_its_last_updated_beside_the_version(client, clock, department, scheduler):
    appointment = book(start=at(2, 9), actor=scheduler)

    response = fhir(client, "GET", f"Appointment/{appointment.pk}")

    assert set(response.body["meta"]) == {"versionId", "lastUpdated"}
    assert response["ETag"] == f'W/"{response.body["meta"]["versionId"]}"'


# --- _summary -------------------------------------------------------------------------------


def test_summary_count_answers_the_total_without_entries(client):
    PatientFactory.create_batch(3, family_name="Okafor")

    body = fhir(client, "GET", "Patient", family="okafor", _summary="count").body

    assert body["total"] == 3 and "entry" not in body
    assert "_summary=count" in body["link"][0]["url"]


@pytest.mark.parametrize("summary", ["true", "text", "everything"])
def test_summary_true_text_or_unknown_on_a_search_is_refused_with_an_operation_outcome(client, summary):
    PatientFactory()

    response = fhir(client, "GET", "Patient", _summary=summary)

    assert response.status_code == 400
    assert response.body["resourceType"] == "OperationOutcome"
    assert "_summary" in response.body["issue"][0]["diagnostics"]


def test_summary_other_than_false_or_data_on_a_read_is_refused(client):
    patient = PatientFactory()

    assert fhir(client, "GET", f"Patient/{patient.pk}", _summary="count").status_code == 400
    assert fhir(client, "GET", f"Patient/{patient.pk}", _summary="true").status_code == 400
    assert fhir(client, "GET", f"Patient/{patient.pk}", _summary="false").status_code == 200


# --- a second galactogram over $find and $book ----------------------------------------------


def _find(client, patient, day="2026-11-19") -> list[dict]:
    body = parameters(start=day, _count=2, patient={"reference": f"Patient/{patient.pk}"})
    return proposals(fhir(client, "POST", "Appointment/$find", body))


def test_find_with_a_patient_who_has_one_ahead_names_it_in_each_proposal(client, clock, department, scheduler):
    patient = PatientFactory()
    first = book(patient, start=at(2, 9), actor=scheduler)
    newcomer = PatientFactory()

    found = _find(client, patient)

    assert len(found) == 2
    for proposal in found:
        assert proposal["extension"][0]["url"] == ALREADY_BOOKED
        assert proposal["extension"][0]["valueReference"]["reference"] == f"Appointment/{first.pk}"
        assert f"Appointment/{first.pk}" in proposal["comment"] and "repeatBookingReason" in proposal["comment"]
    assert all("extension" not in p and "comment" not in p for p in _find(client, newcomer))


def test_book_of_a_second_galactogram_without_a_reason_is_422_naming_the_one_she_has(
    client, clock, department, scheduler
):
    patient = PatientFactory()
    first = book(patient, start=at(2, 9), actor=scheduler)

    response = fhir(client, "POST", "Appointment/$book", _find(client, patient)[0])

    assert response.status_code == 422
    issue = response.body["issue"][0]
    assert f"appointment #{first.pk}" in issue["diagnostics"] and issue["expression"] == ["repeatBookingReason"]
    assert "repeatBookingReason" in response.body["issue"][1]["diagnostics"]
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_book_with_a_repeat_booking_reason_parameter_books_the_second_galactogram(client, clock, department, scheduler):
    patient = PatientFactory()
    book(patient, start=at(2, 9), actor=scheduler)
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "appt-resource", "resource": _find(client, patient)[0]},
            {"name": "repeatBookingReason", "valueString": "The other breast"},
        ],
    }

    response = fhir(client, "POST", "Appointment/$book", body)

    assert response.status_code == 201, response.body
    second = Appointment.objects.get(pk=response.body["id"])
    assert second.repeat_booking_reason == "The other breast"
    assert response["ETag"] == f'W/"{response.body["meta"]["versionId"]}"'


def test_book_with_the_repeat_booking_reason_extension_on_the_appointment_books_it(
    client, clock, department, scheduler
):
    patient = PatientFactory()
    book(patient, start=at(2, 9), actor=scheduler)
    proposal = _find(client, patient)[0]
    proposal["extension"] = [{"url": REPEAT_REASON, "valueString": "Second duct, other side"}]

    response = fhir(client, "POST", "Appointment/$book", proposal)

    assert response.status_code == 201, response.body
    assert Appointment.objects.get(pk=response.body["id"]).repeat_booking_reason == "Second duct, other side"


def test_the_book_operation_definition_documents_repeat_booking_reason(client):
    body = fhir(client, "GET", "OperationDefinition/Appointment-book").body

    param = next(p for p in body["parameter"] if p["name"] == "repeatBookingReason")
    assert (param["use"], param["min"], param["type"]) == ("in", 0, "string")
    assert REPEAT_REASON in param["documentation"]
