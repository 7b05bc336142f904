"""Appointments as worklist items, and the C-FIND answer, without the network."""

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from radiology.interfaces.dicom import items, worklist
from radiology.interfaces.dicom.items import worklist_item
from radiology.models import Order
from tests.factories import AppointmentFactory, RoomFactory

pytestmark = pytest.mark.django_db


def step_query(**keys) -> Dataset:
    query = Dataset()
    query.AccessionNumber = ""
    step = Dataset()
    for keyword, value in keys.items():
        setattr(step, keyword, value)
    query.ScheduledProcedureStepSequence = Sequence([step])
    return query


def test_an_item_carries_the_patient_order_and_step_as_the_modality_needs_them(worklist_day):
    day, _, appointments = worklist_day
    appointment = appointments["nunez"]
    item = worklist_item(appointment)
    assert item.SpecificCharacterSet == "ISO_IR 192"
    assert item.PatientName == "Núñez^José"
    assert item.PatientID == appointment.patient.mrn
    assert item.IssuerOfPatientID == "GALACTO"
    assert item.PatientSex == "F"
    assert item.AccessionNumber == "ACC0001"
    assert item.StudyInstanceUID == appointment.order.study_instance_uid
    assert item.ReferringPhysicianName == "House^Gregory"
    assert item.RequestedProcedureID == "ACC0001"
    assert "left breast" in item.RequestedProcedureDescription
    code = item.RequestedProcedureCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator) == ("77053", "C4")
    step = item.ScheduledProcedureStepSequence[0]
    assert step.Modality == "MG"
    assert step.ScheduledStationAETitle == "MAMMO1"
    assert step.ScheduledProcedureStepStartDate == day.strftime("%Y%m%d")
    assert step.ScheduledProcedureStepStartTime == "083000"  # clinic local time, not UTC
    radiologist = appointment.radiologist.user
    assert step.ScheduledPerformingPhysicianName == f"{radiologist.last_name}^{radiologist.first_name}"
    assert step.ScheduledProcedureStepID == f"SPS{appointment.pk}"
    assert step.ScheduledProcedureStepDescription == "Galactogram LEFT BREAST"
    assert step.ScheduledProcedureStepStatus == "SCHEDULED"


def test_several_discharging_ducts_request_the_multiple_duct_code(worklist_day):
    item = worklist_item(worklist_day[2]["jones"])
    assert item.RequestedProcedureCodeSequence[0].CodeValue == "77054"


def test_a_checked_in_patient_is_arrived_on_the_worklist(worklist_day):
    step = worklist_item(worklist_day[2]["smith"]).ScheduledProcedureStepSequence[0]
    assert step.ScheduledProcedureStepStatus == "ARRIVED"


def test_cancelled_and_started_appointments_are_not_on_the_worklist(worklist_day):
    replies = worklist.find(step_query())
    assert {r.AccessionNumber for r in replies} == {"ACC0001", "ACC0002", "ACC0003", "ACC0004", "ACC0005"}


def test_a_query_without_a_station_gets_nothing_when_the_setting_says_none(worklist_day, settings):
    settings.WORKLIST_UNKNOWN_STATION = "none"
    assert worklist.find(step_query()) == []
    assert {r.AccessionNumber for r in worklist.find(step_query(ScheduledStationAETitle="MAMMO2"))} == {
        "ACC0003",
        "ACC0005",
    }


def test_the_database_queries_do_not_grow_with_the_number_of_items(worklist_day, django_assert_num_queries):
    day = worklist_day[0].strftime("%Y%m%d")
    with django_assert_num_queries(1):
        few = worklist.find(step_query(ScheduledProcedureStepStartDate=f"{day}-"))
    room = RoomFactory(ae_title="MAMMO3")
    AppointmentFactory.create_batch(20, room=room, start=worklist_day[2]["nunez"].start)
    with django_assert_num_queries(1):
        many = worklist.find(step_query(ScheduledProcedureStepStartDate=f"{day}-"))
    assert len(many) == len(few) + 20


def test_a_room_without_an_ae_title_is_answered_empty_not_invented(worklist_day):
    appointment = AppointmentFactory(room=RoomFactory(ae_title=""))
    step = worklist_item(appointment).ScheduledProcedureStepSequence[0]
    assert step.ScheduledStationAETitle == ""


def test_names_match_exactly_when_the_setting_turns_case_insensitivity_off(worklist_day, settings):
    query = step_query()
    query.PatientName = "smith*"
    assert {r.AccessionNumber for r in worklist.find(query)} == {"ACC0002", "ACC0003"}
    settings.WORKLIST_NAMES_CASE_INSENSITIVE = False
    assert worklist.find(query) == []
    query.PatientName = "Smith*"
    assert {r.AccessionNumber for r in worklist.find(query)} == {"ACC0002", "ACC0003"}


@pytest.mark.parametrize("indication", Order.Indication.values)
def test_the_items_indication_is_the_orders_own_text(indication):
    order = Order(indication=indication, indication_other="Lump near the areola")
    assert items.indication_text(indication, "Lump near the areola") == order.indication_text


@pytest.mark.parametrize(("family", "given"), [("House", "Gregory"), ("", "Only"), ("House", ""), ("", "")])
def test_the_items_referring_physician_is_the_orders_own_name(family, given):
    order = Order(referring_physician_family_name=family, referring_physician_given_name=given)
    assert items.referring_physician_pn(family, given) == order.referring_physician_pn
