import pytest

from radiology.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "mrn": "A-12345",
    "given_name": "Ana",
    "family_name": "Lopez",
    "birth_date": "1980-04-02",
    "sex": "female",
    "phone": "(202) 555-0147",
    "email": "ana@example.org",
}


def test_registering_a_patient_returns_201_with_id_and_e164_phone(api):
    response = api.post("/api/v1/patients", NEW_PATIENT, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"] == Patient.objects.get(mrn="A-12345").pk
    assert body["phone"] == "+12025550147"
    assert body["preferred_channel"] == "sms"


def test_a_patient_with_only_an_email_gets_email_reminders(api):
    response = api.post("/api/v1/patients", {**NEW_PATIENT, "phone": ""}, format="json")

    assert response.status_code == 201
    assert response.json()["preferred_channel"] == "email"


def test_a_duplicate_mrn_is_a_409_naming_the_existing_patient(api):
    existing = PatientFactory(mrn="A-12345")

    response = api.post("/api/v1/patients", {**NEW_PATIENT, "mrn": "a-12345"}, format="json")

    assert response.status_code == 409
    assert "already registered" in response.json()["error"]
    assert response.json()["patient"] == existing.pk
    assert Patient.objects.count() == 1


def test_sms_as_preferred_channel_without_a_phone_is_a_field_error(api):
    body = {**NEW_PATIENT, "phone": "", "preferred_channel": "sms"}

    response = api.post("/api/v1/patients", body, format="json")

    assert response.status_code == 400
    assert "phone" in response.json()["fields"]


def test_patients_are_found_by_mrn(api):
    patient = PatientFactory(mrn="XY-777")
    PatientFactory()

    response = api.get("/api/v1/patients", {"mrn": "xy-777"})

    assert response.status_code == 200
    assert [p["id"] for p in response.json()["patients"]] == [patient.pk]


def test_patients_are_found_by_the_start_of_their_names(api):
    patient = PatientFactory(given_name="Fatima", family_name="Okafor")
    PatientFactory(given_name="Fiona", family_name="Smith")

    response = api.get("/api/v1/patients", {"q": "fat oka"})

    assert [p["id"] for p in response.json()["patients"]] == [patient.pk]


def test_one_patient_is_read_by_id(api):
    patient = PatientFactory()

    response = api.get(f"/api/v1/patients/{patient.pk}")

    assert response.status_code == 200
    assert response.json()["mrn"] == patient.mrn


def test_a_technologist_cannot_register_patients(tech_api):
    response = tech_api.post("/api/v1/patients", NEW_PATIENT, format="json")

    assert response.status_code == 403
    assert "role" in response.json()["error"]


@pytest.mark.parametrize(("field", "value"), [("family_name", "Lo\rpez"), ("given_name", "An\x07a")])
def test_a_name_with_a_control_character_is_a_field_error_and_nothing_is_registered(api, field, value):
    response = api.post("/api/v1/patients", {**NEW_PATIENT, field: value}, format="json")

    assert response.status_code == 400
    assert "control character" in response.json()["fields"][field]
    assert not Patient.objects.exists()
