"""MPPS values that are not what they claim (issue #23), from a pynetdicom modality: a start
date of 00000000 is refused with Invalid Attribute Value naming it; a contrast volume of NaN
or 1e400 keeps the step, which waits on the needs-attention list for the volume."""

from datetime import timedelta

import pytest
from pydicom.uid import generate_uid
from pynetdicom.sop_class import ModalityPerformedProcedureStep

from radiology.models import PerformedProcedureStep
from tests.factories import AppointmentFactory, RoomFactory
from tests.radiology.interfaces.dicom.test_mpps import completed, in_progress, modality

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def started_appointment():
    appointment = AppointmentFactory(status="checked_in", room=RoomFactory(ae_title="MAMMO1"))
    return appointment, appointment.start + timedelta(minutes=4)


def test_a_start_date_of_zeros_is_refused_naming_it_and_nothing_is_stored(worklist_server, started_appointment):
    appointment, started = started_appointment
    step = in_progress(appointment, started=started)
    step.PerformedProcedureStepStartDate = "00000000"
    with modality(worklist_server) as assoc:
        status, _ = assoc.send_n_create(step, ModalityPerformedProcedureStep, generate_uid())

    assert status.Status == 0x0106
    assert "PerformedProcedureStepStartDate" in status.ErrorComment
    assert not PerformedProcedureStep.objects.exists()
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"


@pytest.mark.parametrize("volume", ["NaN", "1e400"])
def test_a_contrast_volume_that_is_no_number_keeps_the_step_for_attention(worklist_server, started_appointment, volume):
    appointment, started = started_appointment
    uid = generate_uid()
    with modality(worklist_server) as assoc:
        assoc.send_n_create(in_progress(appointment, started=started), ModalityPerformedProcedureStep, uid)
        done = completed(ended=started + timedelta(minutes=30), comments="Complications: none")
        done.ContrastBolusVolume = volume
        status, _ = assoc.send_n_set(done, ModalityPerformedProcedureStep, uid)

    assert status.Status == 0x0000
    step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
    assert (step.status, step.attention, step.contrast_volume_ml) == ("COMPLETED", "outcome_needed", None)
    assert "contrast volume" in step.attention_note and volume.lower() in step.attention_note.lower()
    appointment.refresh_from_db()
    assert appointment.status == "performed"
