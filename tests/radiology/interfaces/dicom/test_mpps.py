"""MPPS N-CREATE / N-SET sent by pynetdicom's SCU, as a mammography unit sends them."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid
from pynetdicom.sop_class import ModalityPerformedProcedureStep

from radiology.models import Appointment, PerformedProcedureStep, ProcedureOutcome
from radiology.pages.workday.selectors import radiologist_lists
from scheduling.clinic_time import clinic_zone, to_local
from scheduling.models import Reservation
from tests.actions import take_action
from tests.factories import AppointmentFactory, ReservationFactory, RoomFactory
from tests.radiology.interfaces.dicom.conftest import modality_association

pytestmark = pytest.mark.django_db(transaction=True)


def modality(port: int):
    return modality_association(port, ModalityPerformedProcedureStep)


def in_progress(appointment: Appointment, *, started: datetime, accession: str | None = None) -> Dataset:
    local = started.astimezone(clinic_zone())
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    scheduled = Dataset()
    scheduled.StudyInstanceUID = appointment.order.study_instance_uid if accession is None else ""
    scheduled.AccessionNumber = appointment.order.accession_number if accession is None else accession
    scheduled.ScheduledProcedureStepID = f"SPS{appointment.pk}" if accession is None else ""
    scheduled.RequestedProcedureID = appointment.order.accession_number
    scheduled.ReferencedStudySequence = Sequence()
    ds.ScheduledStepAttributesSequence = Sequence([scheduled])
    ds.PatientName = f"{appointment.patient.family_name}^{appointment.patient.given_name}"
    ds.PatientID = appointment.patient.mrn
    ds.PerformedProcedureStepID = "PPS1"
    ds.PerformedStationAETitle = "MAMMO1"
    ds.PerformedProcedureStepStartDate = local.strftime("%Y%m%d")
    ds.PerformedProcedureStepStartTime = local.strftime("%H%M%S")
    ds.PerformedProcedureStepEndDate = None
    ds.PerformedProcedureStepEndTime = None
    ds.PerformedProcedureStepStatus = "IN PROGRESS"
    ds.Modality = "MG"
    ds.ProcedureCodeSequence = Sequence()
    ds.PerformedSeriesSequence = Sequence()
    return ds


def completed(
    *, ended: datetime, code: str | None = "77053", volume: str | None = "2.5", comments: str = ""
) -> Dataset:
    local = ended.astimezone(clinic_zone())
    ds = Dataset()
    ds.PerformedProcedureStepStatus = "COMPLETED"
    ds.PerformedProcedureStepEndDate = local.strftime("%Y%m%d")
    ds.PerformedProcedureStepEndTime = local.strftime("%H%M%S")
    if code:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code, "C4", "Galactogram"
        ds.ProcedureCodeSequence = Sequence([item])
    if volume:
        ds.ContrastBolusVolume = volume
    ds.CommentsOnThePerformedProcedureStep = comments
    series = Dataset()
    series.SeriesInstanceUID = "1.2.3.4.5"
    series.SeriesDescription = "Galactogram CC"
    series.ReferencedImageSequence = Sequence()
    ds.PerformedSeriesSequence = Sequence([series])
    return ds


@pytest.fixture
def started_appointment():
    appointment = AppointmentFactory(status="checked_in", room=RoomFactory(ae_title="MAMMO1"))
    return appointment, appointment.start + timedelta(minutes=4)


def test_in_progress_then_completed_with_the_outcome_completes_the_appointment(worklist_server, started_appointment):
    appointment, started = started_appointment
    uid = generate_uid()
    with modality(worklist_server) as assoc:
        status, _ = assoc.send_n_create(in_progress(appointment, started=started), ModalityPerformedProcedureStep, uid)
        assert status.Status == 0x0000
        appointment.refresh_from_db()
        assert appointment.status == "in_procedure"
        assert appointment.started_at == started.replace(microsecond=0)

        ended = started + timedelta(minutes=31)
        status, _ = assoc.send_n_set(
            completed(ended=ended, comments="Complications: none"), ModalityPerformedProcedureStep, uid
        )
        assert status.Status == 0x0000

    appointment.refresh_from_db()
    assert appointment.status == "completed"
    assert appointment.completed_at == ended.replace(microsecond=0)
    outcome = ProcedureOutcome.objects.get(appointment=appointment)
    assert (outcome.ducts, outcome.imaging_cpt, outcome.contrast_volume_ml) == ("single", "77053", Decimal("2.5"))
    assert outcome.complications == ["none"]
    assert outcome.recorded_by.username == "modality"
    step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
    assert (step.status, step.attention, step.appointment_id) == ("COMPLETED", "", appointment.pk)
    assert step.series_instance_uids == ["1.2.3.4.5"]


def test_completed_without_the_whole_outcome_waits_for_the_radiologist(worklist_server, started_appointment):
    appointment, started = started_appointment
    ReservationFactory(holder=appointment.holder, start=appointment.start, end=appointment.end)
    uid = generate_uid()
    with modality(worklist_server) as assoc:
        assoc.send_n_create(in_progress(appointment, started=started), ModalityPerformedProcedureStep, uid)
        status, _ = assoc.send_n_set(
            completed(ended=started + timedelta(minutes=30), code="77054", volume=None),
            ModalityPerformedProcedureStep,
            uid,
        )
        assert status.Status == 0x0000

    appointment.refresh_from_db()
    # Performed (the room is free), nothing guessed: no outcome was written.
    assert appointment.status == "performed" and appointment.performed_at == started + timedelta(minutes=30)
    assert not Reservation.objects.filter(holder=appointment.holder, active=True).exists()
    assert not ProcedureOutcome.objects.filter(appointment=appointment).exists()
    step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
    assert (step.status, step.attention, step.ducts) == ("COMPLETED", "outcome_needed", "multiple")
    assert "contrast volume" in step.attention_note and "complications" in step.attention_note
    # The outcome is a task on the radiologist's and the technologist's lists until recorded.
    for person in (appointment.radiologist, appointment.technologist):
        lists = radiologist_lists(user=person.user, today=to_local(started).date())
        assert [a.pk for a in lists["outcome_to_record"]] == [appointment.pk]

    take_action(appointment.pk, "complete", appointment.technologist.user)

    appointment.refresh_from_db()
    step.refresh_from_db()
    assert appointment.status == "completed" and appointment.outcome.imaging_cpt == "77053"
    assert (
        step.attention == ""
        and not radiologist_lists(user=appointment.radiologist.user, today=to_local(started).date())[
            "outcome_to_record"
        ]
    )


def test_discontinued_ends_the_appointment_as_incomplete_with_the_reason(worklist_server, started_appointment):
    appointment, started = started_appointment
    uid = generate_uid()
    with modality(worklist_server) as assoc:
        assoc.send_n_create(in_progress(appointment, started=started), ModalityPerformedProcedureStep, uid)
        stop = Dataset()
        stop.PerformedProcedureStepStatus = "DISCONTINUED"
        reason = Dataset()
        reason.CodeValue, reason.CodingSchemeDesignator, reason.CodeMeaning = "110526", "DCM", "Resource failure"
        stop.PerformedProcedureStepDiscontinuationReasonCodeSequence = Sequence([reason])
        status, _ = assoc.send_n_set(stop, ModalityPerformedProcedureStep, uid)
        assert status.Status == 0x0000

    appointment.refresh_from_db()
    assert appointment.status == "incomplete"
    assert appointment.abort_reason_code == "discontinued_at_modality"
    assert appointment.abort_reason == "Discontinued at the modality: Resource failure"
    assert PerformedProcedureStep.objects.get(sop_instance_uid=uid).status == "DISCONTINUED"


def test_a_second_create_of_the_same_instance_is_a_duplicate(worklist_server, started_appointment):
    appointment, started = started_appointment
    uid = generate_uid()
    with modality(worklist_server) as assoc:
        first, _ = assoc.send_n_create(in_progress(appointment, started=started), ModalityPerformedProcedureStep, uid)
        again, _ = assoc.send_n_create(in_progress(appointment, started=started), ModalityPerformedProcedureStep, uid)
    assert (first.Status, again.Status) == (0x0000, 0x0111)
    assert PerformedProcedureStep.objects.filter(sop_instance_uid=uid).count() == 1


def test_setting_an_unknown_instance_is_refused(worklist_server, db):
    with modality(worklist_server) as assoc:
        status, _ = assoc.send_n_set(
            completed(ended=datetime.now(tz=clinic_zone())), ModalityPerformedProcedureStep, generate_uid()
        )
    assert status.Status == 0x0112
    assert not PerformedProcedureStep.objects.exists()


def test_a_final_step_cannot_change_again(worklist_server, started_appointment):
    appointment, started = started_appointment
    uid = generate_uid()
    with modality(worklist_server) as assoc:
        assoc.send_n_create(in_progress(appointment, started=started), ModalityPerformedProcedureStep, uid)
        stop = Dataset()
        stop.PerformedProcedureStepStatus = "DISCONTINUED"
        assoc.send_n_set(stop, ModalityPerformedProcedureStep, uid)
        status, _ = assoc.send_n_set(completed(ended=started), ModalityPerformedProcedureStep, uid)
    assert status.Status == 0x0110
    appointment.refresh_from_db()
    assert appointment.status == "incomplete"


def test_a_create_without_its_required_attributes_is_refused(worklist_server, started_appointment):
    appointment, started = started_appointment
    ds = in_progress(appointment, started=started)
    del ds.PerformedProcedureStepStartDate
    with modality(worklist_server) as assoc:
        status, _ = assoc.send_n_create(ds, ModalityPerformedProcedureStep, generate_uid())
    assert status.Status == 0x0120
    assert not PerformedProcedureStep.objects.exists()


def test_a_step_for_no_appointment_lands_on_the_unmatched_list(worklist_server, started_appointment):
    appointment, started = started_appointment
    uid = generate_uid()
    with modality(worklist_server) as assoc:
        status, _ = assoc.send_n_create(
            in_progress(appointment, started=started, accession="UNKNOWN1"), ModalityPerformedProcedureStep, uid
        )
    assert status.Status == 0x0000
    step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
    assert (step.appointment, step.attention, step.accession_number) == (None, "unmatched", "UNKNOWN1")
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"


def test_linking_falls_back_to_the_accession_number(worklist_server, started_appointment):
    appointment, started = started_appointment
    uid = generate_uid()
    with modality(worklist_server) as assoc:
        assoc.send_n_create(
            in_progress(appointment, started=started, accession=appointment.order.accession_number),
            ModalityPerformedProcedureStep,
            uid,
        )
    assert PerformedProcedureStep.objects.get(sop_instance_uid=uid).appointment_id == appointment.pk
    appointment.refresh_from_db()
    assert appointment.status == "in_procedure"


def test_a_start_the_appointment_does_not_allow_is_kept_for_staff(worklist_server, db):
    appointment = AppointmentFactory(status="booked")  # the patient was never checked in here
    uid = generate_uid()
    with modality(worklist_server) as assoc:
        status, _ = assoc.send_n_create(
            in_progress(appointment, started=appointment.start), ModalityPerformedProcedureStep, uid
        )
    assert status.Status == 0x0000
    step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
    assert step.attention == "not_applied"
    assert "booked" in step.attention_note.lower()
    appointment.refresh_from_db()
    assert appointment.status == "booked"
