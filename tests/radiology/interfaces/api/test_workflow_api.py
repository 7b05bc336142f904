"""Check-in with its checklist and completion with its outcome over the API, stored as on the pages."""

from datetime import timedelta

import pytest
import time_machine

from radiology.models import CheckInChecklist, ProcedureOutcome
from tests.factories import AppointmentFactory
from tests.radiology.interfaces.api.conftest import client_for

pytestmark = pytest.mark.django_db
CHECKLIST = {
    "identity_confirmed": True,
    "contrast_allergy_asked": True,
    "discharge_present_today": True,
    "not_expressed_last_48h": True,
    "consent_signed": True,
    "side_confirmed": True,
    "pregnancy": "not_pregnant",
    "breastfeeding": False,
}


def post(client, appointment, body):
    return client.post(f"/api/v1/appointments/{appointment.pk}/transitions", body, format="json")


def test_check_in_with_a_checklist_stores_it(tech_api, technologist):
    appointment = AppointmentFactory(status="reminded")
    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        response = post(tech_api, appointment, {"action": "check_in", "checklist": CHECKLIST})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "checked_in"
    assert CheckInChecklist.objects.get(appointment=appointment).completed_by == technologist


def test_check_in_without_discharge_is_refused_with_the_field(tech_api):
    appointment = AppointmentFactory(status="reminded")
    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        response = post(
            tech_api, appointment, {"action": "check_in", "checklist": {**CHECKLIST, "discharge_present_today": False}}
        )
    assert response.status_code == 400
    assert "discharge_present_today" in response.json()["fields"]
    appointment.refresh_from_db()
    assert appointment.status == "reminded"


def test_check_in_after_expression_within_48_hours_is_refused_pointing_to_did_not_proceed(tech_api):
    appointment = AppointmentFactory(status="reminded")
    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        response = post(
            tech_api, appointment, {"action": "check_in", "checklist": {**CHECKLIST, "not_expressed_last_48h": False}}
        )
    assert response.status_code == 400
    body = response.json()
    assert "not_expressed_last_48h" in body["fields"]
    assert "did not proceed: expressed within 48 hours" in str(body)
    appointment.refresh_from_db()
    assert appointment.status == "reminded" and not CheckInChecklist.objects.exists()


def test_complete_with_an_outcome_records_the_codes(db):
    appointment = AppointmentFactory(status="in_procedure")
    client = client_for(appointment.radiologist.user)
    outcome = {"ducts": "single", "contrast_volume_ml": "1.5", "complications": ["none"]}
    response = post(client, appointment, {"action": "complete", "outcome": outcome})
    assert response.status_code == 200, response.json()
    recorded = ProcedureOutcome.objects.get(appointment=appointment)
    assert (recorded.injection_cpt, recorded.imaging_cpt) == ("19030", "77053")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "start", "checklist": CHECKLIST}, "checklist"),
        ({"action": "check_in", "outcome": {"ducts": "single"}}, "outcome"),
        (
            {"action": "complete", "outcome": {"ducts": "three", "contrast_volume_ml": 1, "complications": []}},
            "outcome",
        ),
        (
            {"action": "complete", "outcome": {"ducts": "single", "contrast_volume_ml": 50, "complications": ["none"]}},
            "outcome",
        ),
        ({"action": "check_in", "checklist": {"identity_confirmed": "perhaps"}}, "checklist"),
    ],
)
def test_a_malformed_checklist_or_outcome_is_a_400_naming_it(tech_api, body, field):
    appointment = AppointmentFactory(status="in_procedure")
    response = post(tech_api, appointment, body)
    assert response.status_code == 400
    assert any(name == field or name.startswith(f"{field}.") for name in response.json()["fields"])
    appointment.refresh_from_db()
    assert appointment.status == "in_procedure"
