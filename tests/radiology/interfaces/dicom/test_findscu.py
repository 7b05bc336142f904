"""dcmtk's `findscu -W` against the worklist SCP over TCP; the replies it writes (-X) are
read back with pydicom. findscu exits 0 when nothing matches, so every test asserts on
what came back."""

import subprocess

import pytest

from tests.radiology.interfaces.dicom.conftest import accessions, findscu

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("dcmtk")]

STEP = "ScheduledProcedureStepSequence[0]"
RETURN_KEYS = [
    "PatientName",
    "PatientID",
    "AccessionNumber",
    "StudyInstanceUID",
    f"{STEP}.Modality",
    f"{STEP}.ScheduledProcedureStepID",
]


def test_a_date_range_open_at_the_end_finds_the_day_and_after(worklist_server, worklist_day, tmp_path):
    day = worklist_day[0].strftime("%Y%m%d")
    replies = findscu(worklist_server, [*RETURN_KEYS, f"{STEP}.ScheduledProcedureStepStartDate={day}-"], tmp_path)
    assert accessions(replies) == {"ACC0001", "ACC0002", "ACC0003", "ACC0004", "ACC0005"}


def test_a_closed_date_range_finds_only_that_day(worklist_server, worklist_day, tmp_path):
    day = worklist_day[0].strftime("%Y%m%d")
    replies = findscu(
        worklist_server,
        [
            *RETURN_KEYS,
            f"{STEP}.ScheduledProcedureStepStartDate={day}-{day}",
            f"{STEP}.ScheduledProcedureStepStartTime=",
        ],
        tmp_path,
    )
    assert accessions(replies) == {"ACC0001", "ACC0002", "ACC0003"}
    assert sorted(r.ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime for r in replies) == [
        "083000",
        "100000",
        "110000",
    ]


def test_a_range_open_at_the_start_finds_up_to_the_day(worklist_server, worklist_day, tmp_path):
    day = worklist_day[0].strftime("%Y%m%d")
    replies = findscu(worklist_server, [*RETURN_KEYS, f"{STEP}.ScheduledProcedureStepStartDate=-{day}"], tmp_path)
    assert accessions(replies) == {"ACC0001", "ACC0002", "ACC0003"}


def test_the_station_ae_title_finds_that_rooms_items(worklist_server, worklist_day, tmp_path):
    replies = findscu(worklist_server, [*RETURN_KEYS, f"{STEP}.ScheduledStationAETitle=MAMMO2"], tmp_path)
    assert accessions(replies) == {"ACC0003", "ACC0005"}
    assert {r.ScheduledProcedureStepSequence[0].ScheduledStationAETitle for r in replies} == {"MAMMO2"}


def test_a_patient_name_wildcard_matches_whatever_the_case(worklist_server, worklist_day, tmp_path):
    replies = findscu(
        worklist_server, [k for k in RETURN_KEYS if k != "PatientName"] + ["PatientName=smith*"], tmp_path
    )
    assert accessions(replies) == {"ACC0002", "ACC0003"}
    assert {str(r.PatientName) for r in replies} == {"Smith^Anna", "Smithers^Beth"}


def test_the_accession_number_finds_one_item_with_exactly_the_keys_asked(worklist_server, worklist_day, tmp_path):
    replies = findscu(
        worklist_server, ["AccessionNumber=ACC0004", "PatientName", "RequestedProcedureCodeSequence"], tmp_path
    )
    assert len(replies) == 1
    reply = replies[0]
    assert set(reply.dir()) == {
        "SpecificCharacterSet",
        "AccessionNumber",
        "PatientName",
        "RequestedProcedureCodeSequence",
    }
    code = reply.RequestedProcedureCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator) == ("77054", "C4")


def test_an_accented_name_survives_the_round_trip(worklist_server, worklist_day, tmp_path):
    replies = findscu(
        worklist_server,
        ["SpecificCharacterSet=ISO_IR 192", "PatientName=Núñez*", "AccessionNumber", "PatientBirthDate"],
        tmp_path,
    )
    assert len(replies) == 1
    assert replies[0].SpecificCharacterSet == "ISO_IR 192"
    assert str(replies[0].PatientName) == "Núñez^José"
    assert replies[0].AccessionNumber == "ACC0001"
    assert replies[0].PatientBirthDate == worklist_day[2]["nunez"].patient.birth_date.strftime("%Y%m%d")


def test_an_empty_step_sequence_returns_the_whole_step(worklist_server, worklist_day, tmp_path):
    replies = findscu(worklist_server, ["AccessionNumber=ACC0003", "ScheduledProcedureStepSequence"], tmp_path)
    step = replies[0].ScheduledProcedureStepSequence[0]
    assert step.Modality == "MG"
    assert step.ScheduledStationAETitle == "MAMMO2"
    assert step.ScheduledProcedureStepDescription == "Galactogram RIGHT BREAST"
    assert step.ScheduledPerformingPhysicianName != ""


def test_nothing_matching_is_an_empty_answer_not_an_error(worklist_server, worklist_day, tmp_path):
    assert findscu(worklist_server, ["AccessionNumber=NOPE"], tmp_path) == []


def test_c_echo_is_answered(worklist_server, dcmtk):
    result = subprocess.run(  # noqa: S603 - a fixed command line
        ["echoscu", "-aec", "GALACTO", "127.0.0.1", str(worklist_server)],  # noqa: S607
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_a_worklist_query_writes_a_read_audit_row_per_patient_it_names(worklist_server, worklist_day, tmp_path):
    from security.models import AccessLogEntry

    day = worklist_day[0].strftime("%Y%m%d")
    replies = findscu(worklist_server, [*RETURN_KEYS, f"{STEP}.ScheduledProcedureStepStartDate={day}-{day}"], tmp_path)

    rows = AccessLogEntry.objects.filter(what="dicom_query").select_related("patient")
    assert {row.patient.mrn for row in rows} == {str(r.PatientID) for r in replies}
    assert len(replies) == 3
    assert {(row.username, row.path, row.ip_address) for row in rows} == {
        ("modality", "C-FIND from MODALITY", "127.0.0.1")
    }
