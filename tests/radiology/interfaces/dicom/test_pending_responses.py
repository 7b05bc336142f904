"""Pending C-FIND responses written once per request (radiology/dicom/pending.py), read back
by pynetdicom's own DIMSE decoder and by a pynetdicom modality over TCP: the same messages
pynetdicom would have sent, split within whatever maximum PDU length the peer asked for."""

from io import BytesIO

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)
from pynetdicom.dimse_messages import C_FIND_RSP
from pynetdicom.dimse_primitives import C_FIND
from pynetdicom.sop_class import ModalityWorklistInformationFind

from radiology.interfaces.dicom import pending
from tests.radiology.interfaces.dicom.conftest import accessions, modality_association
from tests.radiology.interfaces.dicom.test_worklist_items import step_query

pytestmark = pytest.mark.django_db(transaction=True)


def a_request(message_id: int = 7) -> C_FIND:
    request = C_FIND()
    request.MessageID = message_id
    request.AffectedSOPClassUID = ModalityWorklistInformationFind
    return request


def read_back(primitives) -> C_FIND:
    """pynetdicom's receiving side: P-DATA in, one C-FIND response out."""
    message = C_FIND_RSP()
    complete = [message.decode_msg(primitive) for primitive in primitives]
    assert complete[-1] and not any(complete[:-1])
    return message.message_to_primitive()


def one_response(identifier: bytes, *, max_pdu_length: int, message_id: int = 7) -> list:
    command = pending.pending_command(a_request(message_id))
    return [
        *pending.p_data(1, command, kind=pending.COMMAND, max_pdu_length=max_pdu_length),
        *pending.p_data(1, identifier, kind=pending.DATA, max_pdu_length=max_pdu_length),
    ]


@pytest.mark.parametrize("max_pdu_length", [0, 16382, 40], ids=["unlimited", "usual", "tiny"])
def test_a_pending_response_reads_back_as_pynetdicom_sends_it(max_pdu_length):
    identifier = bytes(range(256)) * 3
    primitives = one_response(identifier, max_pdu_length=max_pdu_length, message_id=42)
    for primitive in primitives:
        (_, value), *others = primitive.presentation_data_value_list
        assert not others
        assert max_pdu_length == 0 or len(value) + 4 <= max_pdu_length
    response = read_back(primitives)
    assert response.Status == pending.PENDING
    assert response.MessageIDBeingRespondedTo == 42
    assert response.AffectedSOPClassUID == ModalityWorklistInformationFind
    assert response.Identifier.getvalue() == identifier


def test_the_command_is_the_one_pynetdicom_encodes_for_each_response():
    response = C_FIND()
    response.MessageID = response.MessageIDBeingRespondedTo = 7
    response.AffectedSOPClassUID = ModalityWorklistInformationFind
    response.Status = 0xFF00
    response.Identifier = BytesIO(b"any identifier")
    message = C_FIND_RSP()
    message.primitive_to_message(response)
    first, *_ = message.encode_msg(1, 16382)
    (_, command), *_ = first.presentation_data_value_list
    assert command == b"\x03" + pending.pending_command(a_request(7))


def modality(port: int, *, max_pdu: int, syntax=ExplicitVRLittleEndian):
    return modality_association(port, ModalityWorklistInformationFind, transfer_syntax=syntax, max_pdu=max_pdu)


def ask(assoc, query: Dataset) -> tuple[list[int], list[Dataset]]:
    statuses, identifiers = [], []
    for status, identifier in assoc.send_c_find(query, ModalityWorklistInformationFind):
        statuses.append(status.Status)
        if identifier is not None:
            identifiers.append(identifier)
    return statuses, identifiers


@pytest.mark.parametrize("max_pdu", [0, 16382, 128], ids=["unlimited", "usual", "small"])
def test_a_modality_gets_every_match_then_success_whatever_its_pdu_size(worklist_server, worklist_day, max_pdu):
    query = step_query(ScheduledProcedureStepStartDate=worklist_day[0].strftime("%Y%m%d"))
    query.PatientName = ""
    with modality(worklist_server, max_pdu=max_pdu) as assoc:
        statuses, identifiers = ask(assoc, query)
        again, _ = ask(assoc, query)  # a second request on the same association answers too
    assert statuses == [0xFF00, 0xFF00, 0xFF00, 0x0000] == again
    assert accessions(identifiers) == {"ACC0001", "ACC0002", "ACC0003"}
    assert "Núñez^José" in {str(identifier.PatientName) for identifier in identifiers}


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian])
def test_the_identifiers_come_in_the_transfer_syntax_agreed(worklist_server, worklist_day, syntax):
    # findscu proposes several syntaxes and pynetdicom picks implicit VR; a modality that
    # offers only one (deflated included) must get identifiers it can read in that one.
    query = step_query(ScheduledProcedureStepStartDate=worklist_day[0].strftime("%Y%m%d"))
    query.PatientName = ""
    with modality(worklist_server, max_pdu=16382, syntax=syntax) as assoc:
        statuses, identifiers = ask(assoc, query)
    assert statuses[-1] == 0x0000
    assert accessions(identifiers) == {"ACC0001", "ACC0002", "ACC0003"}
    assert "Núñez^José" in {str(identifier.PatientName) for identifier in identifiers}


def test_a_query_nothing_matches_gets_success_alone(worklist_server, worklist_day):
    query = step_query(ScheduledProcedureStepStartDate="19990101")
    with modality(worklist_server, max_pdu=16382) as assoc:
        assert ask(assoc, query) == ([0x0000], [])
