"""Roles as /api/v1: every department role reads; only schedulers and managers book and cancel."""

import pytest

from tests.factories import AppointmentFactory, StaffMemberFactory
from tests.radiology.interfaces.api.conftest import client_for
from tests.radiology.interfaces.fhir.conftest import at, book

pytestmark = pytest.mark.django_db

ROLES = ["scheduler", "technologist", "nurse", "radiologist", "manager"]


def user_in(role: str):
    return StaffMemberFactory(role=role).user


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "path",
    [
        "Patient",
        "Practitioner",
        "Location",
        "Schedule",
        "Appointment",
        "ServiceRequest",
        "DiagnosticReport",
        "ImagingStudy",
    ],
)
def test_every_department_role_can_read(role, path):
    AppointmentFactory()
    assert client_for(user_in(role)).get(f"/fhir/R4/{path}").status_code == 200


@pytest.mark.parametrize(
    "role,allowed",
    [("scheduler", True), ("manager", True), ("technologist", False), ("radiologist", False), ("nurse", False)],
)
def test_only_schedulers_and_managers_can_book_and_cancel(role, allowed, clock, department, scheduler):
    appointment = book(start=at(2, 9), actor=scheduler)
    client = client_for(user_in(role))
    cancel = client.post(
        f"/fhir/R4/Appointment/{appointment.pk}/$cancel",
        {"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": "Patient asked"}]},
        format="json",
    )
    assert cancel.status_code == (200 if allowed else 403)
    proposal = {
        "resourceType": "Appointment",
        "status": "proposed",
        "start": at(3, 9).isoformat(),
        "minutesDuration": 45,
        "participant": [{"actor": {"reference": f"Patient/{appointment.patient_id}"}, "status": "needs-action"}],
    }
    booked = client.post("/fhir/R4/Appointment/$book", proposal, format="json")
    assert booked.status_code == (201 if allowed else 403)
    if not allowed:
        assert booked.json()["resourceType"] == "OperationOutcome"
        assert booked.json()["issue"][0]["code"] == "forbidden"


def test_a_user_without_a_department_role_cannot_read_patients(db):
    from tests.factories import UserFactory

    response = client_for(UserFactory()).get("/fhir/R4/Patient")
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"


def test_find_needs_only_the_view_permission(clock, department):
    client = client_for(user_in("technologist"))
    response = client.post(
        "/fhir/R4/Appointment/$find",
        {"resourceType": "Parameters", "parameter": [{"name": "start", "valueDate": "2026-11-18"}]},
        format="json",
    )
    assert response.status_code == 200


def test_a_browser_session_reads_and_its_writes_need_the_csrf_token(clock, department, scheduler):
    from rest_framework.test import APIClient

    appointment = book(start=at(2, 9), actor=scheduler)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(scheduler)
    assert client.get(f"/fhir/R4/Appointment/{appointment.pk}").status_code == 200
    body = {"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": "Patient asked"}]}
    refused = client.post(f"/fhir/R4/Appointment/{appointment.pk}/$cancel", body, format="json")
    assert refused.status_code == 403
    assert refused.json()["resourceType"] == "OperationOutcome"
