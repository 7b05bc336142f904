"""The modality steps page: staff see unmatched and unfinished MPPS steps, and the
radiologist completes one with the outcome through the completion service."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from radiology.models import PerformedProcedureStep, ProcedureOutcome
from radiology.services.performed_steps import StepReport, record_step_created, record_step_updated
from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db
URL = reverse("dicom:needs_attention")


def report(appointment, status, **values) -> StepReport:
    return StepReport(
        status=status,
        attributes={},
        study_instance_uid=appointment.order.study_instance_uid,
        scheduled_step_id=f"SPS{appointment.pk}",
        accession_number=appointment.order.accession_number,
        started_at=appointment.start,
        **values,
    )


@pytest.fixture
def waiting_step():
    """Completed at the modality with the code and volume but no complications."""
    appointment = AppointmentFactory(status="checked_in")
    record_step_created(sop_instance_uid="1.2.3.100", report=report(appointment, "IN PROGRESS"))
    return record_step_updated(
        sop_instance_uid="1.2.3.100",
        report_for=lambda _stored: report(
            appointment,
            "COMPLETED",
            ended_at=appointment.start + timedelta(minutes=30),
            procedure_codes=["77053"],
            contrast_volume_ml=Decimal("3.0"),
        ),
    )


def test_schedulers_may_not_see_the_page(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get(URL).status_code == 302


def test_the_page_lists_unmatched_and_unfinished_steps_with_what_the_modality_sent(client, waiting_step):
    unmatched = record_step_created(
        sop_instance_uid="1.2.3.200",
        report=StepReport(status="IN PROGRESS", attributes={}, accession_number="ELSEWHERE1"),
    )
    client.force_login(StaffMemberFactory(radiologist=True).user)
    page = client.get(URL).content.decode()
    assert f'data-testid="step-{unmatched.pk}"' in page and "ELSEWHERE1" in page and "Unmatched" in page
    assert f'data-testid="step-{waiting_step.pk}"' in page and "the outcome is needed" in page
    assert "The modality did not send the complications." in page


def test_the_radiologist_completes_the_step_with_the_outcome(client, waiting_step):
    client.force_login(StaffMemberFactory(radiologist=True).user)
    prefix = f"s{waiting_step.pk}"
    response = client.post(
        reverse("dicom:complete_step", args=[waiting_step.pk]),
        {
            f"{prefix}-cannulated": "on",
            f"{prefix}-ducts": "single",
            f"{prefix}-contrast_volume_ml": "3.0",
            f"{prefix}-complications": ["pain"],
        },
    )
    assert response.status_code == 302
    waiting_step.refresh_from_db()
    assert waiting_step.attention == ""
    assert waiting_step.appointment.status == "completed"
    outcome = ProcedureOutcome.objects.get(appointment=waiting_step.appointment)
    assert outcome.complications == ["pain"] and outcome.contrast_volume_ml == Decimal("3.0")


def test_completing_without_the_complications_is_refused_and_changes_nothing(client, waiting_step):
    client.force_login(StaffMemberFactory(radiologist=True).user)
    prefix = f"s{waiting_step.pk}"
    client.post(
        reverse("dicom:complete_step", args=[waiting_step.pk]),
        {f"{prefix}-cannulated": "on", f"{prefix}-ducts": "single", f"{prefix}-contrast_volume_ml": "3.0"},
    )
    waiting_step.refresh_from_db()
    assert waiting_step.attention == PerformedProcedureStep.Attention.OUTCOME_NEEDED
    assert waiting_step.appointment.status == "performed"


def test_the_page_reads_a_fixed_number_of_queries(client, waiting_step, django_assert_max_num_queries):
    client.force_login(StaffMemberFactory(radiologist=True).user)
    client.get(URL)
    for n in range(5):
        record_step_created(sop_instance_uid=f"1.2.3.{300 + n}", report=StepReport(status="IN PROGRESS", attributes={}))
    with django_assert_max_num_queries(9):  # 9: the read audit writes its rows (one insert)
        assert client.get(URL).status_code == 200


def test_two_creates_of_one_step_leave_one_row_and_a_duplicate_refusal(waiting_step):
    from radiology.services.performed_steps import PerformedStepError

    appointment = waiting_step.appointment
    with pytest.raises(PerformedStepError) as refusal:
        record_step_created(sop_instance_uid="1.2.3.100", report=report(appointment, "IN PROGRESS"))
    assert refusal.value.code == "duplicate"
    assert PerformedProcedureStep.objects.filter(sop_instance_uid="1.2.3.100").count() == 1


def test_a_step_completed_on_the_day_list_meanwhile_leaves_the_page(client, waiting_step):
    from radiology.services.actions import run_action

    radiologist = StaffMemberFactory(radiologist=True).user
    run_action(
        appointment_id=waiting_step.appointment_id,
        action="complete",
        actor=radiologist,
        inputs={"outcome": {"ducts": "single", "contrast_volume_ml": Decimal("2.0"), "complications": ["none"]}},
    )
    client.force_login(radiologist)
    assert f'data-testid="step-{waiting_step.pk}"' not in client.get(URL).content.decode()
