"""FHIR test helpers: clients per role, a department with booked appointments, and a check
that every resource the server emits is valid R4 (fhir.resources' R4B models: its root
package is R5, on which R4 JSON fails)."""

import json
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class

from radiology.services import booking
from scheduling.clinic_time import clinic_zone
from tests.factories import PatientFactory, small_department
from tests.radiology.interfaces.api.conftest import client_for

# R4 value sets (fhir.resources checks shapes, not code values).
APPOINTMENT_STATUS = {
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
}
PARTICIPATION_STATUS = {"accepted", "declined", "tentative", "needs-action"}
FHIR_JSON = "application/fhir+json"
SLOT_STATUS = {"busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"}
REQUEST_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
REPORT_STATUS = {
    "registered",
    "partial",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "appended",
    "cancelled",
    "entered-in-error",
    "unknown",
}
STUDY_STATUS = {"registered", "available", "cancelled", "entered-in-error", "unknown"}
# A Monday, 08:00 in the clinic; bookings two days ahead and later are outside the lead time.
NOW = datetime(2026, 11, 16, 8, 0, tzinfo=clinic_zone())


def valid(resource: dict) -> dict:
    """Validate one emitted resource (and, for a Bundle, each entry's) against R4; return it."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", []):
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
        check_codes(entry["resource"])
    check_codes(resource)
    return resource


def check_codes(resource: dict) -> None:
    if resource["resourceType"] == "Appointment":
        assert resource["status"] in APPOINTMENT_STATUS, resource["status"]
        for participant in resource["participant"]:
            assert participant["status"] in PARTICIPATION_STATUS, participant["status"]
    if resource["resourceType"] == "Slot":
        assert resource["status"] in SLOT_STATUS, resource["status"]
    kinds = {"ServiceRequest": REQUEST_STATUS, "DiagnosticReport": REPORT_STATUS, "ImagingStudy": STUDY_STATUS}
    if resource["resourceType"] in kinds:
        assert resource["status"] in kinds[resource["resourceType"]], resource["status"]


def fhir(client, method: str, path: str, body=None, **params):
    """A FHIR request; the answer must be FHIR JSON, and its body valid R4 (response.body)."""
    url = path if path.startswith("/") else f"/fhir/R4/{path}"
    if params:
        url = f"{url}?{urlencode(params, doseq=True)}"
    send = getattr(client, method.lower())
    if body is None:
        response = send(url, HTTP_ACCEPT=FHIR_JSON)
    else:
        response = send(url, json.dumps(body), content_type=FHIR_JSON, HTTP_ACCEPT=FHIR_JSON)
    assert response["Content-Type"].startswith(FHIR_JSON), response["Content-Type"]
    response.body = valid(response.json())
    return response


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def department(db):
    return small_department(rooms=2, radiologists=1, technologists=2)


@pytest.fixture
def client(scheduler):
    return client_for(scheduler)


def at(day_offset: int, hour: int, minute: int = 0):
    """A local clinic time `day_offset` days after NOW's date."""
    day = NOW.date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute), tzinfo=clinic_zone())


def book(patient=None, *, start, actor, **kwargs):
    from procedures.models import Procedure

    return booking.book_appointment(
        patient=patient or PatientFactory(),
        procedure=Procedure.objects.get(slug="galactogram"),
        start=start,
        duration_minutes=kwargs.pop("duration_minutes", 45),
        actor=actor,
        **kwargs,
    )
