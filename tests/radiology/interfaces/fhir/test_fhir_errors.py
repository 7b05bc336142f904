"""Every refusal is an OperationOutcome with the right status code: never HTML, never a 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.factories import AppointmentFactory
from tests.radiology.interfaces.fhir.conftest import valid

pytestmark = pytest.mark.django_db


def outcome(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = valid(response.json())
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["diagnostics"]
    return body


def test_without_credentials_it_is_401_with_the_token_scheme(db):
    response = APIClient().get("/fhir/R4/Appointment")
    assert outcome(response, 401)["issue"][0]["code"] == "login"
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    outcome(client.get("/fhir/R4/Patient"), 401)


def test_unknown_resource_ids_and_paths_are_404(client):
    outcome(client.get("/fhir/R4/Appointment/999999"), 404)
    outcome(client.get("/fhir/R4/Appointment/not-a-number"), 404)
    outcome(client.get("/fhir/R4/Observation"), 404)
    outcome(client.get("/fhir/R4/Slot/free-room-1-bogus"), 404)
    outcome(client.get("/fhir/R4/no/such/thing/here"), 404)


def test_writes_the_server_does_not_offer_are_405(client):
    appointment = AppointmentFactory()
    outcome(client.put(f"/fhir/R4/Appointment/{appointment.pk}", {}, format="json"), 405)
    outcome(client.delete(f"/fhir/R4/Appointment/{appointment.pk}"), 405)
    outcome(client.post("/fhir/R4/Patient", {"resourceType": "Patient"}, format="json"), 405)
    outcome(client.get("/fhir/R4/Appointment/$book"), 405)


def test_bad_search_values_are_400(client):
    outcome(client.get("/fhir/R4/Appointment?date=tomorrow"), 400)
    outcome(client.get("/fhir/R4/Appointment?date=2026-02-30"), 400)
    outcome(client.get("/fhir/R4/Appointment?date=sa2026-01-01"), 400)
    outcome(client.get("/fhir/R4/Appointment?status=sort-of-booked"), 400)
    outcome(client.get("/fhir/R4/Appointment?patient=Location/3"), 400)
    outcome(client.get("/fhir/R4/Appointment?_count=lots"), 400)
    outcome(client.get("/fhir/R4/Slot?status=maybe"), 400)
    outcome(client.get("/fhir/R4/Slot?start=ge2026-01-01&start=lt2026-06-01"), 400)


def test_a_body_that_is_not_json_or_not_a_resource_is_400(client):
    bad = client.post("/fhir/R4/Appointment/$find", "{not json", content_type="application/fhir+json")
    assert outcome(bad, 400)["issue"][0]["code"] == "invalid"
    outcome(client.post("/fhir/R4/Appointment/$find", [1, 2], format="json"), 400)
    outcome(client.post("/fhir/R4/Appointment/$book", {"resourceType": "Patient"}, format="json"), 400)


def test_json_and_format_are_accepted_and_xml_is_refused(client):
    plain = client.get("/fhir/R4/metadata", HTTP_ACCEPT="application/json")
    assert plain["Content-Type"].startswith("application/json")
    browser = client.get("/fhir/R4/metadata", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert browser["Content-Type"].startswith("application/fhir+json")
    forced = client.get("/fhir/R4/metadata?_format=json", HTTP_ACCEPT="application/json")
    assert forced["Content-Type"].startswith("application/fhir+json")
    unencoded = client.get("/fhir/R4/metadata?_format=application/fhir+json", HTTP_ACCEPT="application/json")
    assert unencoded["Content-Type"].startswith("application/fhir+json")
    outcome(client.get("/fhir/R4/metadata?_format=xml"), 406)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(["date", "status", "patient", "actor", "identifier", "_count", "start", "schedule", "name"]),
    value=st.text(max_size=30),
    resource=st.sampled_from(["Appointment", "Slot", "Patient", "Schedule", "Location", "Practitioner"]),
)
def test_no_search_value_gives_a_500(client, name, value, resource):
    response = client.get(f"/fhir/R4/{resource}", {name: value})
    assert response.status_code in (200, 400), (name, value, response.content)
    assert response.json()["resourceType"] in ("Bundle", "OperationOutcome")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
appointment_like = st.fixed_dictionaries(
    {"resourceType": st.just("Appointment")},
    optional={
        "status": json_values,
        "start": json_values,
        "end": json_values,
        "minutesDuration": json_values,
        "serviceType": json_values,
        "identifier": json_values,
        "participant": st.lists(json_values | st.fixed_dictionaries({"actor": json_values}), max_size=3),
    },
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=appointment_like | st.fixed_dictionaries({"resourceType": st.just("Parameters"), "parameter": json_values}))
def test_no_book_cancel_or_find_body_gives_a_500(client, body):
    appointment = AppointmentFactory.build()  # unsaved: $cancel of a missing id is a 404
    for path in ("Appointment/$book", "Appointment/$find", f"Appointment/{appointment.pk or 1}/$cancel"):
        response = client.post(f"/fhir/R4/{path}", body, format="json")
        assert response.status_code in (200, 201, 400, 404, 409, 422), (path, body, response.content)
        assert response.json()["resourceType"] in ("Bundle", "OperationOutcome", "Appointment")


def test_options_is_405_not_drf_metadata(client):
    outcome(client.options("/fhir/R4/Appointment"), 405)


def test_find_and_slot_searches_beyond_the_booking_horizon_are_400(client):
    outcome(client.get("/fhir/R4/Appointment/$find?start=2031-01-06"), 400)
    outcome(client.get("/fhir/R4/Slot?start=2031-01-06"), 400)
