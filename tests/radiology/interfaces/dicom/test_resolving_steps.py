"""Resolving a modality step that matched no appointment (or could not be applied): staff
link it to the right appointment, which then goes through what the modality reported, or
dismiss it with a reason. Steps arrive through the DICOM door's own N-CREATE / N-SET
handling (radiology/dicom/mpps.py), with the attributes a modality sends."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid
from pynetdicom.sop_class import ModalityPerformedProcedureStep

from radiology.interfaces.dicom import mpps
from radiology.models import PerformedProcedureStep, ProcedureOutcome
from tests.factories import AppointmentFactory, RoomFactory, StaffMemberFactory
from tests.radiology.interfaces.dicom.test_mpps import completed, in_progress, modality

pytestmark = pytest.mark.django_db
PAGE = reverse("dicom:needs_attention")
Attention = PerformedProcedureStep.Attention


@pytest.fixture
def appointment():
    return AppointmentFactory(status="checked_in", room=RoomFactory(ae_title="MAMMO1"))


@pytest.fixture
def logged_in_technologist(client, technologist):
    """The shared technologist, logged in on `client`: these steps are resolved on the pages."""
    client.force_login(technologist)
    return technologist


def typed_at_the_modality(appointment, *, uid=None, minutes=4):
    """The technologist typed the exam in by hand: an accession the product never issued,
    no Study Instance UID or step ID; the patient's ID as on her wristband."""
    uid = uid or generate_uid()
    status, _ = mpps.create(
        sop_instance_uid=uid,
        attributes=in_progress(appointment, started=appointment.start + timedelta(minutes=minutes), accession="HAND1"),
        calling_ae="MAMMO1",
    )
    assert status == mpps.SUCCESS
    return PerformedProcedureStep.objects.get(sop_instance_uid=uid)


def finished_at_the_modality(step, **values):
    status, _ = mpps.update(
        sop_instance_uid=step.sop_instance_uid,
        modifications=completed(ended=step.started_at + timedelta(minutes=30), **values),
    )
    assert status == mpps.SUCCESS
    step.refresh_from_db()
    return step


def link(client, step, appointment):
    return client.post(
        reverse("dicom:link_step", args=[step.pk]), {f"l{step.pk}-appointment": appointment.pk}, follow=True
    )


def test_an_unmatched_step_in_progress_linked_starts_the_appointment_and_later_n_sets_apply(
    client, logged_in_technologist, appointment
):
    step = typed_at_the_modality(appointment)
    assert step.attention == Attention.UNMATCHED
    page = client.get(PAGE).content.decode()
    assert f"{appointment.patient.family_name}, {appointment.patient.given_name} · ID {appointment.patient.mrn}" in page
    assert f"(MRN {appointment.patient.mrn})" in page  # the appointment offered, to compare

    response = link(client, step, appointment)
    assert f"Linked to appointment #{appointment.pk}" in response.content.decode()
    appointment.refresh_from_db()
    step.refresh_from_db()
    assert appointment.status == "in_procedure"
    assert appointment.started_at == step.started_at
    assert (step.appointment_id, step.attention, step.resolved_by) == (appointment.pk, "", logged_in_technologist)
    assert step.resolution == f"Linked to appointment #{appointment.pk}"
    assert f'data-testid="step-{step.pk}"' not in client.get(PAGE).content.decode()

    # The modality finishes: the step is linked now, so its N-SET completes the appointment.
    finished_at_the_modality(step, comments="Complications: none")
    appointment.refresh_from_db()
    assert appointment.status == "completed"


def test_an_unmatched_step_completed_with_its_outcome_linked_completes_the_appointment(
    client, logged_in_technologist, appointment
):
    step = finished_at_the_modality(typed_at_the_modality(appointment), comments="Complications: none")
    assert step.attention == Attention.UNMATCHED
    link(client, step, appointment)
    appointment.refresh_from_db()
    assert appointment.status == "completed"
    assert (appointment.started_at, appointment.completed_at) == (step.started_at, step.ended_at)
    outcome = ProcedureOutcome.objects.get(appointment=appointment)
    assert (outcome.ducts, outcome.contrast_volume_ml, outcome.complications) == ("single", Decimal("2.5"), ["none"])


def test_a_linked_step_without_the_whole_outcome_waits_for_the_radiologist(client, logged_in_technologist, appointment):
    step = finished_at_the_modality(typed_at_the_modality(appointment))  # no complications line
    link(client, step, appointment)
    step.refresh_from_db()
    appointment.refresh_from_db()
    assert appointment.status == "in_procedure"
    assert step.attention == Attention.OUTCOME_NEEDED and step.appointment_id == appointment.pk
    page = client.get(PAGE).content.decode()
    assert reverse("dicom:complete_step", args=[step.pk]) in page


def test_a_discontinued_step_linked_ends_the_appointment_incomplete_with_the_modalitys_reason(
    client, logged_in_technologist, appointment
):
    step = typed_at_the_modality(appointment)
    stop, reason = Dataset(), Dataset()
    stop.PerformedProcedureStepStatus = "DISCONTINUED"
    reason.CodeValue, reason.CodingSchemeDesignator, reason.CodeMeaning = "110514", "DCM", "Incorrect worklist entry"
    stop.PerformedProcedureStepDiscontinuationReasonCodeSequence = Sequence([reason])
    assert mpps.update(sop_instance_uid=step.sop_instance_uid, modifications=stop)[0] == mpps.SUCCESS
    link(client, step, appointment)
    appointment.refresh_from_db()
    assert appointment.status == "incomplete"
    assert appointment.abort_reason == "Discontinued at the modality: Incorrect worklist entry"


def test_a_step_of_another_patient_is_not_linked_and_nothing_changes(client, logged_in_technologist, appointment):
    other = AppointmentFactory(status="checked_in", start=appointment.start + timedelta(hours=1))
    step = typed_at_the_modality(appointment)
    response = link(client, step, other)
    assert f"The modality recorded patient ID {appointment.patient.mrn}" in response.content.decode()
    other.refresh_from_db()
    step.refresh_from_db()
    assert other.status == "checked_in"
    assert (step.attention, step.appointment_id, step.resolution) == (Attention.UNMATCHED, None, "")


def test_a_link_the_appointment_refuses_changes_nothing(client, logged_in_technologist, appointment):
    step = finished_at_the_modality(typed_at_the_modality(appointment), comments="Complications: none")
    # Not checked in: the state machine refuses the start, so neither start nor completion happens.
    type(appointment).objects.filter(pk=appointment.pk).update(status="booked")
    response = link(client, step, appointment)
    appointment.refresh_from_db()
    step.refresh_from_db()
    assert "Not linked:" in response.content.decode()
    assert appointment.status == "booked" and not ProcedureOutcome.objects.filter(appointment=appointment).exists()
    assert (step.attention, step.appointment_id, step.resolution) == (Attention.UNMATCHED, None, "")


def test_only_that_days_unfinished_appointments_are_offered(client, logged_in_technologist, appointment):
    cancelled = AppointmentFactory(
        status="cancelled", cancel_reason="Patient asked", start=appointment.start + timedelta(hours=1)
    )
    next_day = AppointmentFactory(status="checked_in", start=appointment.start + timedelta(days=1))
    step = typed_at_the_modality(appointment)
    page = client.get(PAGE).content.decode()
    assert f'value="{appointment.pk}"' in page
    assert f'value="{cancelled.pk}"' not in page and f'value="{next_day.pk}"' not in page
    response = link(client, step, next_day)
    assert "Choose one of that day" in response.content.decode()
    step.refresh_from_db()
    assert step.attention == Attention.UNMATCHED


def test_a_dismissed_step_leaves_the_list_saying_who_and_why(client, logged_in_technologist, appointment):
    step = typed_at_the_modality(appointment)
    url = reverse("dicom:dismiss_step", args=[step.pk])
    response = client.post(url, {f"d{step.pk}-reason": "other"}, follow=True)
    assert "Say what the step was." in response.content.decode()
    step.refresh_from_db()
    assert step.attention == Attention.UNMATCHED

    client.post(url, {f"d{step.pk}-reason": "qc"})
    step.refresh_from_db()
    appointment.refresh_from_db()
    assert step.attention == "" and step.resolved_by == logged_in_technologist and step.resolved_at is not None
    assert step.resolution == "Dismissed: A test or quality-control exam at the modality"
    assert appointment.status == "checked_in"
    assert f'data-testid="step-{step.pk}"' not in client.get(PAGE).content.decode()
    again = client.post(url, {f"d{step.pk}-reason": "qc"}, follow=True)
    assert "does not need resolving any more" in again.content.decode()


def test_schedulers_may_neither_link_nor_dismiss(client, appointment):
    step = typed_at_the_modality(appointment)
    client.force_login(StaffMemberFactory(scheduler=True).user)
    assert link(client, step, appointment).status_code == 403
    assert client.post(reverse("dicom:dismiss_step", args=[step.pk]), {f"d{step.pk}-reason": "qc"}).status_code == 403
    step.refresh_from_db()
    assert step.attention == Attention.UNMATCHED


@pytest.mark.django_db(transaction=True)
def test_over_dicom_a_hand_typed_exam_is_linked_then_completed_by_the_modality(client, worklist_server, appointment):
    client.force_login(StaffMemberFactory().user)
    uid = generate_uid()
    started = appointment.start + timedelta(minutes=3)
    with modality(worklist_server) as assoc:
        status, _ = assoc.send_n_create(
            in_progress(appointment, started=started, accession="HAND2"), ModalityPerformedProcedureStep, uid
        )
        assert status.Status == 0x0000
        step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
        assert step.attention == Attention.UNMATCHED
        link(client, step, appointment)
        status, _ = assoc.send_n_set(
            completed(ended=started + timedelta(minutes=28), comments="Complications: none"),
            ModalityPerformedProcedureStep,
            uid,
        )
        assert status.Status == 0x0000
    appointment.refresh_from_db()
    assert appointment.status == "completed"
