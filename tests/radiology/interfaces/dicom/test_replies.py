"""The reply writer (radiology/interfaces/dicom/replies.py) says what the matching engine and
pydicom's writer say, byte for byte, and leaves to them what it does not cover."""

from datetime import date, datetime

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)
from pynetdicom.dsutils import encode

from radiology.interfaces.dicom import replies
from radiology.interfaces.dicom.items import ROW_KEYS, item_dataset, item_values
from radiology.interfaces.dicom.matching import build_reply, matches
from scheduling.clinic_time import clinic_zone

DAY = "20260304"
LITTLE_ENDIAN = [UID(ImplicitVRLittleEndian), UID(ExplicitVRLittleEndian)]


def row(**changes) -> dict:
    values = dict.fromkeys(ROW_KEYS, "")
    values |= {
        "pk": 41,
        "start": datetime(2026, 3, 4, 9, 30, tzinfo=clinic_zone()),
        "end": datetime(2026, 3, 4, 10, 0, tzinfo=clinic_zone()),
        "status": "booked",
        "patient__mrn": "MRN0041",
        "patient__given_name": "José",
        "patient__family_name": "Núñez",
        "patient__birth_date": date(1970, 1, 1),
        "patient__sex": "female",
        "patient__contrast_allergy": False,
        "order__accession_number": "GA2026030400041",
        "order__study_instance_uid": "2.25.12345678",
        "order__placer_order_number": None,
        "order__side": "left",
        "order__indication": "bloody",
        "order__discharge_ducts": "single",
        "order__priority": "routine",
        "order__referring_physician_family_name": "House",
        "order__referring_physician_given_name": "Gregory",
        "room__name": "Mammo 1",
        "room__ae_title": "MAMMO1",
        "radiologist__user__username": "rad1",
        "radiologist__user__first_name": "Ann",
        "radiologist__user__last_name": "Lee",
        "procedure__name": "Mammary ductogram (galactogram)",
        "procedure__imaging_cpt_single": "77053",
        "procedure__imaging_cpt_multiple": "77054",
    }
    return values | changes


ROWS = [
    row(),
    row(status="checked_in", patient__sex="other", patient__contrast_allergy=True, patient__birth_date=None),
    row(patient__given_name="Ann=Bea", patient__family_name="X=", order__accession_number="ODD1"),
    row(patient__given_name="Te\x07st", order__side="", order__indication="other", order__indication_other="Lump" * 30),
    row(order__priority="urgent", order__discharge_ducts="multiple", order__placer_order_number="PL123"),
    row(order__referring_physician_family_name="", order__referring_physician_given_name="Only"),
    row(radiologist__user__first_name="", radiologist__user__last_name="", room__name="Mammography room, east wing"),
]


def query(top: dict, step: dict | None = None) -> Dataset:
    ds = Dataset()
    for keyword, value in top.items():
        setattr(ds, keyword, value)
    if step is not None:
        item = Dataset()
        for keyword, value in step.items():
            setattr(item, keyword, value)
        ds.ScheduledProcedureStepSequence = Sequence([item])
    return ds


def code(**values) -> Dataset:
    ds = Dataset()
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


FINDSCU_TOP = {
    "SpecificCharacterSet": "ISO_IR 192",
    "PatientName": "",
    "PatientID": "",
    "PatientBirthDate": "",
    "PatientSex": "",
    "AccessionNumber": "",
    "StudyInstanceUID": "",
    "RequestedProcedureDescription": "",
    "RequestedProcedureCodeSequence": Sequence([]),
}
FINDSCU_STEP = {
    "Modality": "MG",
    "ScheduledStationAETitle": "",
    "ScheduledProcedureStepStartDate": DAY,
    "ScheduledProcedureStepStartTime": "",
    "ScheduledPerformingPhysicianName": "",
    "ScheduledProcedureStepID": "",
    "ScheduledProcedureStepDescription": "",
}
QUERIES = {
    "findscu": query(FINDSCU_TOP, FINDSCU_STEP),
    "station": query(FINDSCU_TOP, {**FINDSCU_STEP, "ScheduledStationAETitle": "MAMMO1"}),
    "another station": query(FINDSCU_TOP, {**FINDSCU_STEP, "ScheduledStationAETitle": "MAMMO2"}),
    "name wildcard": query({"PatientName": "núñez*", "PatientID": ""}, {"ScheduledProcedureStepStartDate": DAY}),
    "time range": query({"PatientName": ""}, {"ScheduledProcedureStepStartTime": "0900-0959"}),
    "open date range": query({"AccessionNumber": ""}, {"ScheduledProcedureStepStartDate": f"{DAY}-"}),
    "uid list": query({"StudyInstanceUID": ["2.25.1", "2.25.12345678"], "PatientName": ""}),
    "whole step": query({"PatientName": "", "ScheduledProcedureStepSequence": Sequence([])}),
    "step without keys": query({"PatientName": "", "ScheduledProcedureStepSequence": Sequence([Dataset()])}),
    "no step": query({"PatientName": "", "Allergies": "", "ReasonForTheRequestedProcedure": ""}),
    "keys we do not hold": query(
        {**FINDSCU_TOP, "PatientWeight": None, "OtherPatientIDsSequence": Sequence([]), "PatientComments": None},
        {**FINDSCU_STEP, "ScheduledProtocolCodeSequence": Sequence([])},
    ),
    "protocol code": query(
        {"PatientName": ""},
        {"ScheduledProtocolCodeSequence": Sequence([code(CodeValue="77054", CodeMeaning="")])},
    ),
    "status": query({"PatientName": ""}, {"ScheduledProcedureStepStatus": "ARRIVED"}),
}


def engine_and_pydicom(query_dataset: Dataset, values: dict, syntax: UID, names_case_insensitive: bool) -> bytes:
    item = item_dataset(values)
    if not matches(item, query_dataset, names_case_insensitive=names_case_insensitive):
        return replies.NO_MATCH
    reply = build_reply(item, query_dataset, names_case_insensitive=names_case_insensitive)
    return encode(reply, syntax.is_implicit_VR, syntax.is_little_endian, syntax.is_deflated)


@pytest.mark.parametrize("syntax", LITTLE_ENDIAN, ids=lambda s: s.name)
@pytest.mark.parametrize("names_case_insensitive", [True, False])
@pytest.mark.parametrize("name", QUERIES)
def test_each_reply_is_the_bytes_the_engine_and_pydicom_write(name, names_case_insensitive, syntax):
    query_plan = replies.plan(QUERIES[name], syntax=syntax, names_case_insensitive=names_case_insensitive)
    assert query_plan is not None
    for values in ROWS:
        values = item_values(values)
        written = replies.reply(query_plan, values)
        assert written is not replies.NOT_MINE
        assert written == engine_and_pydicom(QUERIES[name], values, syntax, names_case_insensitive)


def test_a_query_answers_some_rows_and_not_others():
    query_plan = replies.plan(QUERIES["name wildcard"], syntax=LITTLE_ENDIAN[0], names_case_insensitive=True)

    assert replies.reply(query_plan, item_values(row())) != replies.NO_MATCH
    assert replies.reply(query_plan, item_values(row(patient__family_name="Smith"))) == replies.NO_MATCH


@pytest.mark.parametrize("syntax", [UID(ExplicitVRBigEndian), UID(DeflatedExplicitVRLittleEndian)], ids=str)
def test_big_endian_and_deflated_answers_are_left_to_pydicom(syntax):
    assert replies.plan(QUERIES["findscu"], syntax=syntax, names_case_insensitive=True) is None


def test_a_key_asked_as_a_sequence_that_the_item_holds_as_text_is_left_to_the_engine():
    odd = query({"PatientName": ""})
    odd.add_new(0x00100010, "SQ", Sequence([]))  # PatientName, claimed to be a sequence
    query_plan = replies.plan(odd, syntax=LITTLE_ENDIAN[1], names_case_insensitive=True)

    assert replies.reply(query_plan, item_values(row())) is replies.NOT_MINE
