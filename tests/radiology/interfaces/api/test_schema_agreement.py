"""Requests the schema calls valid are accepted, and the schema lists only what the API takes.
Each case was found by schemathesis (tests/radiology/interfaces/api/test_schema_fuzz.py)."""

import pytest

from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_a_patient_search_without_a_query_is_an_empty_list_not_an_error(api):
    PatientFactory()
    response = api.get("/api/v1/patients")
    assert response.status_code == 200
    assert response.json() == {"patients": []}


def test_a_patient_without_an_email_is_described_by_the_schema(api):
    schema = api.get("/api/v1/openapi.json").json()
    email = schema["components"]["schemas"]["Patient"]["properties"]["email"]
    assert {"maxLength": 0} in email["anyOf"]


@pytest.mark.parametrize("content_type", ["multipart/form-data", "application/x-www-form-urlencoded"])
def test_form_bodies_are_a_415_and_not_in_the_schema(api, content_type):
    schema = api.get("/api/v1/openapi.json").json()
    bodies = schema["paths"]["/api/v1/patients"]["post"]["requestBody"]["content"]
    assert list(bodies) == ["application/json"]
    response = api.generic("POST", "/api/v1/patients", "mrn=ABC123", content_type=content_type)
    assert response.status_code == 415


@pytest.mark.parametrize("body", [{}, {"reason_code": ""}, {"reason_code": "   "}, {"note": "x"}])
def test_a_cancel_without_a_reason_code_is_refused_and_the_schema_says_it_is_needed(api, body):
    appointment = AppointmentFactory()
    response = api.post(f"/api/v1/appointments/{appointment.pk}/cancel", body, format="json")
    assert response.status_code == 400
    assert "reason_code" in response.json()["fields"]
    schema = api.get("/api/v1/openapi.json").json()["components"]["schemas"]["CancelInput"]
    assert "reason_code" in schema["required"]
    assert "reason_code" in schema["properties"]


def test_an_empty_query_value_is_refused_not_ignored(api):
    response = api.get("/api/v1/appointments", {"status": ""})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


@pytest.mark.parametrize("procedure", ["galac\x00togram", "gälactogram"])
def test_a_procedure_name_that_is_not_a_short_name_is_a_400_not_a_database_error(api, procedure):
    response = api.get(
        "/api/v1/slots", {"procedure": procedure, "start": "2030-01-07", "end": "2030-01-08", "duration": 45}
    )
    assert response.status_code == 400
    assert "procedure" in response.json()["fields"]
