"""POST /api/v1/appointments/{id}/outcome/correction: the same service as the page."""

import pytest

from notifications.models import Message
from tests.factories import AppointmentFactory, ProcedureOutcomeFactory
from tests.radiology.interfaces.api.conftest import client_for

pytestmark = pytest.mark.django_db
BODY = {"ducts": "multiple", "contrast_volume_ml": "1.5", "complications": ["none"], "reason": "Second duct"}


def test_a_correction_changes_the_codes_and_plans_a_credit_and_a_charge(settings):
    settings.HL7_OUT_HOST, settings.HL7_OUT_PORT, settings.HL7_OUT_MESSAGES = "127.0.0.1", 9, ["dft"]
    outcome = ProcedureOutcomeFactory(contrast_volume_ml="1.5")
    api = client_for(outcome.appointment.radiologist.user)
    url = f"/api/v1/appointments/{outcome.appointment_id}/outcome/correction"

    done = api.post(url, BODY, format="json")
    again = api.post(url, BODY, format="json")

    assert done.status_code == 200
    outcome.refresh_from_db()
    assert outcome.imaging_cpt == "77054"
    assert [m.meta["type"] for m in Message.objects.filter(channel="hl7").order_by("pk")] == ["CD", "CG"]
    assert again.status_code == 400 and "changes nothing" in again.json()["error"]


def test_before_an_outcome_is_recorded_it_is_refused(technologist):
    appointment = AppointmentFactory(status="booked")

    response = client_for(technologist).post(
        f"/api/v1/appointments/{appointment.pk}/outcome/correction", BODY, format="json"
    )

    assert response.status_code == 409 and "No outcome is recorded" in response.json()["error"]
