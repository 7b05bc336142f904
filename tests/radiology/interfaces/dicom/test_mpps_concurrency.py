"""Two N-SETs of one step at the same instant, in real threads on PostgreSQL: each merges
its attributes into what the step holds under the step's row lock, so neither is lost."""

import threading
from contextlib import suppress
from decimal import Decimal

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from radiology.interfaces.dicom import mpps
from radiology.models import PerformedProcedureStep
from tests.factories import AppointmentFactory
from tests.race import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_progress(appointment) -> Dataset:
    ds = Dataset()
    scheduled = Dataset()
    scheduled.StudyInstanceUID = appointment.order.study_instance_uid
    scheduled.AccessionNumber = appointment.order.accession_number
    scheduled.ScheduledProcedureStepID = f"SPS{appointment.pk}"
    ds.ScheduledStepAttributesSequence = Sequence([scheduled])
    ds.PatientID = appointment.patient.mrn
    ds.PerformedStationAETitle = "MAMMO1"
    ds.PerformedProcedureStepStartDate = appointment.local_start.strftime("%Y%m%d")
    ds.PerformedProcedureStepStartTime = appointment.local_start.strftime("%H%M%S")
    ds.PerformedProcedureStepStatus = "IN PROGRESS"
    return ds


def n_set(**attributes) -> Dataset:
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def test_two_simultaneous_n_sets_of_one_step_both_keep_their_attributes(monkeypatch):
    appointment = AppointmentFactory(status="checked_in")
    uid = generate_uid()
    assert mpps.create(sop_instance_uid=uid, attributes=in_progress(appointment))[0] == mpps.SUCCESS
    # Each N-SET waits here, after reading what the step holds, until the other has read it
    # too (or 3 s have passed): had the merge not been under the row lock, both would merge
    # into the same old attributes and the later save would drop the earlier one's.
    both_read = threading.Barrier(2, timeout=3)
    real_report_from = mpps.report_from

    def report_after_both_read(ds, **kwargs):
        # Broken: the other N-SET waits for our row lock, and reads after we commit.
        with suppress(threading.BrokenBarrierError):
            both_read.wait()
        return real_report_from(ds, **kwargs)

    monkeypatch.setattr(mpps, "report_from", report_after_both_read)
    results = race(
        lambda: mpps.update(sop_instance_uid=uid, modifications=n_set(ContrastBolusVolume="2.5")),
        lambda: mpps.update(
            sop_instance_uid=uid, modifications=n_set(CommentsOnThePerformedProcedureStep="Complications: none")
        ),
        timeout=30,
    )
    assert [status for status, _ in results] == [mpps.SUCCESS, mpps.SUCCESS], results
    step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
    stored = Dataset.from_json(step.attributes)
    assert stored.ContrastBolusVolume == Decimal("2.5")
    assert stored.CommentsOnThePerformedProcedureStep == "Complications: none"
    assert stored.PatientID == appointment.patient.mrn  # the N-CREATE's attributes stay too
    assert step.contrast_volume_ml == Decimal("2.5")
    assert step.status == "IN PROGRESS"
