"""The check-in checklist is the service's rule, whichever door sends it: a patient who
expressed within 48 hours is not checked in; the way out is "did not proceed"."""

from datetime import timedelta

import pytest
import time_machine

from radiology.errors import ServiceRefusal
from radiology.models import CheckInChecklist
from radiology.services import workflow
from tests.actions import CHECKLIST
from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def test_check_in_is_refused_when_the_patient_expressed_within_48_hours():
    appointment = AppointmentFactory(status="reminded")
    nurse = StaffMemberFactory(nurse=True).user
    expressed = workflow.Checklist(**{**CHECKLIST, "not_expressed_last_48h": False})
    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        with pytest.raises(ServiceRefusal) as refusal:
            workflow.check_in_patient(appointment_id=appointment.pk, actor=nurse, checklist=expressed)
    assert refusal.value.code == "invalid"
    assert set(refusal.value.fields) == {"not_expressed_last_48h"}
    assert "did not proceed: expressed within 48 hours" in refusal.value.message
    appointment.refresh_from_db()
    assert appointment.status == "reminded" and not CheckInChecklist.objects.exists()


def test_with_no_discharge_as_well_the_refusal_points_to_no_discharge_first():
    appointment = AppointmentFactory(status="reminded")
    nurse = StaffMemberFactory(nurse=True).user
    neither = workflow.Checklist(**{**CHECKLIST, "not_expressed_last_48h": False, "discharge_present_today": False})
    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        with pytest.raises(ServiceRefusal) as refusal:
            workflow.check_in_patient(appointment_id=appointment.pk, actor=nurse, checklist=neither)
    assert set(refusal.value.fields) == {"not_expressed_last_48h", "discharge_present_today"}
    assert "did not proceed: no discharge today" in refusal.value.message
