"""Failures that are not about the request's meaning get an answer in the door's own shape, never
a 500: JSON nested past any parser, a body over the limit (413), a date at the calendar's end, a
number the database cannot hold (without PostgreSQL's words), an address over 4 KB (414), and the
database away (503 with Retry-After) — in the API, in FHIR and on the pages (issue 23)."""

import json
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from tests.radiology.interfaces.api.conftest import client_for
from tests.radiology.interfaces.fhir.conftest import valid

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = json.dumps({"resourceType": "Parameters", "padding": "a" * 3_000_000})


@pytest.fixture
def api(scheduler):
    return client_for(scheduler)


def json_error(response, status: int) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


def outcome(response, status: int, code: str) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/fhir+json")
    body = valid(response.json())
    assert body["issue"][0]["code"] == code
    return body["issue"][0]["diagnostics"]


def test_json_nested_a_hundred_thousand_deep_is_a_400_not_a_recursion_500(api):
    response = api.generic("POST", "/api/v1/appointments", DEEP, content_type="application/json")
    assert "nested too deeply" in json_error(response, 400)
    response = api.generic("POST", "/fhir/R4/Appointment/$find", DEEP, content_type="application/fhir+json")
    assert "nested too deeply" in outcome(response, 400, "invalid")


def test_a_body_over_the_upload_limit_is_413_at_every_door(api, client, scheduler):
    response = api.generic("POST", "/api/v1/appointments", HUGE, content_type="application/json")
    assert "at most 2.5 MiB" in json_error(response, 413)
    response = api.generic("POST", "/fhir/R4/Appointment/$book", HUGE, content_type="application/fhir+json")
    assert "too large" in outcome(response, 413, "too-costly")
    page = client.post("/accounts/login/", {"username": "a" * 3_000_000, "password": "x"})
    assert page.status_code == 413
    assert b"too large" in page.content


def test_fhir_dates_at_the_end_of_the_calendar_are_refused_with_the_range(api):
    for path in ("Appointment?date=ge9999-12-31", "Slot?start=ge9999-12-31", "Appointment?date=lt0001-01-01"):
        assert "between 1900 and 2200" in outcome(api.get(f"/fhir/R4/{path}"), 400, "invalid")
    assert "between 1900 and 2200" in outcome(
        api.get("/fhir/R4/Appointment?date=9999-12-31T23:59:59%2B14:00"), 400, "invalid"
    )
    find = {"resourceType": "Parameters", "parameter": [{"name": "start", "valueDate": "9999-12-31"}]}
    response = api.post("/fhir/R4/Appointment/$find", find, format="json")
    assert response.status_code == 400


def test_date_arithmetic_past_the_calendars_end_anywhere_behind_a_door_is_a_400(api):
    from radiology.interfaces.fhir import search

    with mock.patch.object(search, "date_range", side_effect=OverflowError("date value out of range")):
        assert "outside the range" in outcome(api.get("/fhir/R4/Appointment?date=2026-01-01"), 400, "invalid")


def test_a_number_the_database_cannot_hold_is_a_400_without_the_databases_words(api):
    from django.db import DataError

    with mock.patch.object(CursorWrapper, "execute", side_effect=DataError("bigint out of range")):
        api_answer = json_error(api.get("/api/v1/patients?q=Smith"), 400)
        fhir_answer = outcome(api.get("/fhir/R4/Patient?name=Smith"), 400, "invalid")
    for answer in (api_answer, fhir_answer):
        assert "out of range" in answer
        assert "bigint" not in answer


def test_an_address_over_4_kb_is_414_in_the_doors_shape(api, client, scheduler):
    long_query = "q=" + "a" * 5000
    assert "too long" in json_error(api.get(f"/api/v1/patients?{long_query}"), 414)
    assert "too long" in outcome(api.get(f"/fhir/R4/Patient?{long_query}"), 414, "too-long")
    client.force_login(scheduler)
    page = client.get(f"/patients/search/?{long_query}")
    assert page.status_code == 414
    assert page["Content-Type"].startswith("text/html")


def test_the_database_away_is_503_with_retry_after_at_every_door(scheduler):
    # As a server answers: the failure becomes the response, it is not raised into the test.
    api = client_for(scheduler)
    api.raise_request_exception = False
    client = Client(raise_request_exception=False)
    client.force_login(scheduler)
    down = OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")
    with mock.patch.object(CursorWrapper, "execute", side_effect=down):
        api_response = api.get("/api/v1/appointments")
        fhir_response = api.get("/fhir/R4/Appointment")
        page = client.get("/day/")
    assert "briefly unavailable" in json_error(api_response, 503)
    assert "briefly unavailable" in outcome(fhir_response, 503, "transient")
    assert page.status_code == 503
    assert b"Briefly unavailable" in page.content
    for response in (api_response, fhir_response, page):
        assert response["Retry-After"] == "30"
        assert b"5432" not in response.content
