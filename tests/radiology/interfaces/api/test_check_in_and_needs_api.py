"""The API's doors onto the same rules: check-in's pregnancy and breastfeeding questions
(the transitions body's checklist) and her needs (PUT /patients/<id>/needs)."""

from datetime import date, timedelta

import pytest
import time_machine

from radiology.models import CheckInChecklist
from tests.factories import AppointmentFactory, PatientFactory, StaffMemberFactory
from tests.radiology.interfaces.api.conftest import client_for

pytestmark = pytest.mark.django_db
CONFIRMED = {
    "identity_confirmed": True,
    "contrast_allergy_asked": True,
    "discharge_present_today": True,
    "not_expressed_last_48h": True,
    "consent_signed": True,
    "side_confirmed": True,
}


def _check_in(client, appointment, checklist):
    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        return client.post(
            f"/api/v1/appointments/{appointment.pk}/transitions",
            {"action": "check_in", "checklist": checklist},
            format="json",
        )


@pytest.fixture
def young():
    return AppointmentFactory(status="reminded", patient__birth_date=date(1992, 2, 2))


def test_a_check_in_without_the_open_questions_is_a_400_naming_them(tech_api, young):
    response = _check_in(tech_api, young, CONFIRMED)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"pregnancy", "breastfeeding"}


def test_a_positive_answer_is_refused_with_the_way_out(tech_api, young):
    response = _check_in(tech_api, young, {**CONFIRMED, "pregnancy": "pregnant", "breastfeeding": False})
    assert response.status_code == 400
    body = response.json()
    assert "The radiologist decides" in body["error"] and set(body["fields"]) == {"pregnancy"}


def test_the_radiologists_decision_over_the_api_checks_her_in(tech_api, young):
    radiologist = StaffMemberFactory(radiologist=True)
    checklist = {
        **CONFIRMED,
        "pregnancy": "possible",
        "breastfeeding": False,
        "cleared_by": radiologist.pk,
        "clearance_reason": "Serum hCG negative this morning",
    }
    response = _check_in(tech_api, young, checklist)
    assert response.status_code == 200, response.json()
    assert CheckInChecklist.objects.get(appointment=young).cleared_by == radiologist


def test_her_needs_are_put_and_read_back(tech_api):
    patient = PatientFactory()
    body = {"interpreter_needed": True, "interpreter_language": "Somali", "interpreter_booked": True}
    response = tech_api.put(f"/api/v1/patients/{patient.pk}/needs", body, format="json")
    assert response.status_code == 200
    shown = tech_api.get(f"/api/v1/patients/{patient.pk}").json()
    assert (shown["interpreter_needed"], shown["interpreter_language"], shown["interpreter_booked"]) == (
        True,
        "Somali",
        True,
    )
    assert shown["wheelchair"] is False


def test_booking_an_interpreter_not_needed_is_a_400_and_a_radiologist_a_403(tech_api):
    patient = PatientFactory()
    refused = tech_api.put(
        f"/api/v1/patients/{patient.pk}/needs", {"interpreter_needed": False, "interpreter_booked": True}, format="json"
    )
    assert refused.status_code == 400 and "interpreter_booked" in refused.json()["fields"]
    radiologist = client_for(StaffMemberFactory(radiologist=True).user)
    assert (
        radiologist.put(f"/api/v1/patients/{patient.pk}/needs", {"interpreter_needed": True}, format="json").status_code
        == 403
    )
    assert tech_api.put("/api/v1/patients/999999/needs", {"interpreter_needed": True}, format="json").status_code == 404
