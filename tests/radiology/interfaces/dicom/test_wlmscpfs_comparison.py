"""The same items served by dcmtk's reference wlmscpfs and by the product give the same
matches for the same findscu queries — apart from the documented difference: the product
compares person names case-insensitively (WORKLIST_NAMES_CASE_INSENSITIVE), wlmscpfs does not."""

import pytest

from radiology.interfaces.dicom.items import worklist_item
from radiology.selectors.modality import worklist_appointments
from tests.radiology.interfaces.dicom.conftest import accessions, findscu
from tests.radiology.interfaces.dicom.reference_worklist import wlmscpfs, write_worklist_files

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("dcmtk")]

STEP = "ScheduledProcedureStepSequence[0]"
RETURN = ["AccessionNumber", "PatientID", f"{STEP}.Modality"]


def queries(day: str, next_day: str) -> dict[str, list[str]]:
    return {
        "one day": [*RETURN, f"{STEP}.ScheduledProcedureStepStartDate={day}"],
        "open end": [*RETURN, f"{STEP}.ScheduledProcedureStepStartDate={day}-"],
        "open start": [*RETURN, f"{STEP}.ScheduledProcedureStepStartDate=-{day}"],
        "closed range": [*RETURN, f"{STEP}.ScheduledProcedureStepStartDate={day}-{next_day}"],
        "station": [*RETURN, f"{STEP}.ScheduledStationAETitle=MAMMO1"],
        "station and day": [
            *RETURN,
            f"{STEP}.ScheduledStationAETitle=MAMMO2",
            f"{STEP}.ScheduledProcedureStepStartDate={next_day}",
        ],
        "time range": [
            *RETURN,
            f"{STEP}.ScheduledProcedureStepStartDate={day}",
            f"{STEP}.ScheduledProcedureStepStartTime=0900-1100",
        ],
        "name wildcard": ["AccessionNumber", "PatientName=Smith*"],
        "name single char": ["AccessionNumber", "PatientName=Le?^Dana"],
        "accession": ["AccessionNumber=ACC0004", "PatientName"],
        "accented name": ["SpecificCharacterSet=ISO_IR 192", "AccessionNumber", "PatientName=Núñez^José"],
        "modality": ["AccessionNumber", f"{STEP}.Modality=MG"],
        "nothing": ["AccessionNumber=ACC9999"],
    }


@pytest.fixture
def reference_server(worklist_day, tmp_path):
    items = [worklist_item(a) for a in worklist_appointments()]
    write_worklist_files(items, tmp_path / "wl", "GALACTO")
    with wlmscpfs(tmp_path / "wl") as port:
        yield port


def test_the_reference_scp_and_the_product_match_the_same_items(
    worklist_server, reference_server, worklist_day, tmp_path
):
    day, next_day = (d.strftime("%Y%m%d") for d in worklist_day[:2])
    differences, reference = {}, {}
    for name, keys in queries(day, next_day).items():
        ours = accessions(findscu(worklist_server, keys, tmp_path / name / "ours"))
        reference[name] = accessions(findscu(reference_server, keys, tmp_path / name / "reference"))
        if ours != reference[name]:
            differences[name] = (ours, reference[name])
    assert differences == {}
    # The reference really served the files: the comparison is not two empty answers.
    assert reference["open end"] == {"ACC0001", "ACC0002", "ACC0003", "ACC0004", "ACC0005"}
    assert reference["time range"] == {"ACC0002", "ACC0003"}
    assert reference["accented name"] == {"ACC0001"}


def test_names_in_another_case_match_here_and_not_in_the_reference(
    worklist_server, reference_server, worklist_day, tmp_path
):
    keys = ["AccessionNumber", "PatientName=smith*"]
    assert accessions(findscu(worklist_server, keys, tmp_path / "ours")) == {"ACC0002", "ACC0003"}
    assert accessions(findscu(reference_server, keys, tmp_path / "reference")) == set()


def test_the_reference_sees_the_accented_name_as_we_wrote_it(reference_server, worklist_day, tmp_path):
    replies = findscu(
        reference_server, ["SpecificCharacterSet=ISO_IR 192", "AccessionNumber=ACC0001", "PatientName"], tmp_path
    )
    assert [str(r.PatientName) for r in replies] == ["Núñez^José"]
