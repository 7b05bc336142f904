"""The worklist keeps an answer while nothing it shows changes (radiology/dicom/answers.py):
a modality polling every few minutes gets the same answer for one small read, and the
first query after any change that a modality would see gets the new answer, through
whichever path the change came."""

from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset
from pydicom.uid import UID, ImplicitVRLittleEndian

from radiology.interfaces.dicom import answers
from radiology.models import Appointment, Order, Patient, Room
from radiology.services import cancellation
from tests.factories import ReadinessResponseFactory
from tests.radiology.interfaces.dicom.conftest import accessions, findscu
from tests.radiology.interfaces.dicom.test_worklist_items import step_query

pytestmark = pytest.mark.django_db(transaction=True)

STEP = "ScheduledProcedureStepSequence[0]"


def answered(query, syntax=ImplicitVRLittleEndian) -> list[Dataset]:
    """The kept answer's identifiers as a modality reads them."""
    syntax = UID(syntax)
    return [
        read_dataset(BytesIO(b), syntax.is_implicit_VR, syntax.is_little_endian)
        for b in answers.replies(query, syntax=syntax)
    ]


def names(replies) -> set[str]:
    return {str(r.PatientName) for r in replies}


def the_day(worklist_day, **step_keys):
    """What a modality asks: the day's items with the name, the side and the radiologist."""
    query = step_query(
        ScheduledProcedureStepStartDate=worklist_day[0].strftime("%Y%m%d"),
        ScheduledProcedureStepDescription="",
        ScheduledPerformingPhysicianName="",
        **step_keys,
    )
    query.PatientName = ""
    return query


def test_a_repeated_query_is_answered_alike_with_one_read(worklist_day):
    first = answered(the_day(worklist_day))
    with CaptureQueriesContext(connection) as reads:
        again = answered(the_day(worklist_day))
    assert len(reads) == 1  # the change counter; no appointment rows
    assert [r.to_json_dict() for r in again] == [r.to_json_dict() for r in first]
    assert accessions(again) == {"ACC0001", "ACC0002", "ACC0003"}


def test_a_corrected_patient_name_is_in_the_next_answer(worklist_day):
    answered(the_day(worklist_day))
    Patient.objects.filter(pk=worklist_day[2]["nunez"].patient_id).update(family_name="Núñez-Ortiz")
    assert "Núñez-Ortiz^José" in names(answered(the_day(worklist_day)))


def test_a_corrected_side_on_the_order_is_in_the_next_answer(worklist_day):
    query = the_day(worklist_day)
    before = {str(r.AccessionNumber): r for r in answered(query)}
    assert "RIGHT" in before["ACC0003"].ScheduledProcedureStepSequence[0].ScheduledProcedureStepDescription
    Order.objects.filter(accession_number="ACC0003").update(side=Order.Side.LEFT)
    after = {str(r.AccessionNumber): r for r in answered(query)}
    assert "LEFT" in after["ACC0003"].ScheduledProcedureStepSequence[0].ScheduledProcedureStepDescription


def test_a_room_given_a_new_ae_title_is_asked_for_by_it(worklist_day):
    mammo2 = the_day(worklist_day, ScheduledStationAETitle="MAMMO2")
    assert accessions(answered(mammo2)) == {"ACC0003"}
    Room.objects.filter(ae_title="MAMMO2").update(ae_title="MAMMO2B")
    assert answered(mammo2) == []


def test_a_cancelled_appointment_leaves_the_next_answer(worklist_day, scheduler):
    answered(the_day(worklist_day))
    cancellation.cancel_appointment(
        appointment_id=worklist_day[2]["nunez"].pk, actor=scheduler, reason_code="patient_request"
    )
    assert accessions(answered(the_day(worklist_day))) == {"ACC0002", "ACC0003"}


def test_a_renamed_radiologist_is_in_the_next_answer(worklist_day):
    query = the_day(worklist_day)
    answered(query)
    user = Appointment.objects.get(pk=worklist_day[2]["nunez"].pk).radiologist.user
    user.last_name = "Adeyemi"
    user.save()
    performers = {
        str(r.ScheduledProcedureStepSequence[0].ScheduledPerformingPhysicianName)
        for r in answered(query)
        if str(r.AccessionNumber) == "ACC0001"
    }
    assert performers == {f"Adeyemi^{user.first_name}"}


@pytest.mark.usefixtures("dcmtk")
@pytest.mark.parametrize("syntax", ["", "-xe", "-xb"], ids=["implicit", "explicit-little", "explicit-big"])
def test_findscu_gets_the_same_items_twice_in_each_transfer_syntax(worklist_server, worklist_day, tmp_path, syntax):
    keys = [
        "SpecificCharacterSet=ISO_IR 192",
        "PatientName",
        "AccessionNumber",
        f"{STEP}.ScheduledProcedureStepStartDate={worklist_day[0].strftime('%Y%m%d')}",
        f"{STEP}.ScheduledProcedureStepDescription",
    ]
    options = [syntax] if syntax else []
    first = findscu(worklist_server, keys, tmp_path / "first", options=options)
    second = findscu(worklist_server, keys, tmp_path / "second", options=options)
    assert accessions(first) == accessions(second) == {"ACC0001", "ACC0002", "ACC0003"}
    assert "Núñez^José" in names(second)
    assert [r.to_json_dict() for r in second] == [r.to_json_dict() for r in first]


def test_after_a_change_only_the_changed_rows_are_read_and_built_again(worklist_day):
    query = the_day(worklist_day)
    before = {str(r.AccessionNumber): r.to_json_dict() for r in answered(query)}
    ReadinessResponseFactory(appointment=worklist_day[2]["smith"])  # the day moves; no item changes
    with CaptureQueriesContext(connection) as reads:
        same = {str(r.AccessionNumber): r.to_json_dict() for r in answered(query)}
    assert same == before
    assert len(reads) == 2  # the counter and the rows' worklist values; nothing built again
    Patient.objects.filter(pk=worklist_day[2]["nunez"].patient_id).update(given_name="José Luis")
    with CaptureQueriesContext(connection) as reads:
        after = {str(r.AccessionNumber): r for r in answered(query)}
    assert len(reads) == 2  # the same two: the changed row is built again from the values read
    assert str(after["ACC0001"].PatientName) == "Núñez^José Luis"
    assert {acc: r.to_json_dict() for acc, r in after.items() if acc != "ACC0001"} == {
        acc: r for acc, r in before.items() if acc != "ACC0001"
    }


def test_the_answer_names_the_mrns_its_replies_carry_for_the_read_audit(worklist_day):
    query = the_day(worklist_day)
    query.PatientID = ""

    identifiers, mrns = answers.answer(query)
    again_identifiers, again_mrns = answers.answer(query)  # kept

    carried = [str(read_dataset(BytesIO(b), True, True).PatientID) for b in identifiers]
    assert mrns == carried == again_mrns
    assert again_identifiers == identifiers
    assert len(set(mrns)) == 3


def test_replies_without_the_patient_id_name_no_mrn(worklist_day):
    _, mrns = answers.answer(the_day(worklist_day))

    assert mrns == ["", "", ""]
