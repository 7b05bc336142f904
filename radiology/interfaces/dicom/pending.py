"""C-FIND Pending responses, written once per request instead of once per match.

pynetdicom builds, fills and encodes a fresh command set for every response it sends, twice
over (once for its group length). Every Pending response to one C-FIND request carries the
same command set, and for a 200-item worklist that repeated work was two thirds of an
answer's time (py-spy). So the command is built once, by pynetdicom's own message classes,
and each match goes out as that command followed by the match's identifier, already encoded
(radiology.interfaces.dicom.answers), as P-DATA through the association's DUL like any other message.
pynetdicom still sends the final response (Success, Cancel or a failure).
"""

from collections.abc import Iterable, Iterator
from io import BytesIO

from pynetdicom.dimse_messages import C_FIND_RSP
from pynetdicom.dimse_primitives import C_FIND
from pynetdicom.dsutils import encode
from pynetdicom.pdu_primitives import P_DATA

PENDING = 0xFF00

# PS3.8 E.2, the message control header of a PDV: bit 0 command (else data set), bit 1 last fragment.
DATA, COMMAND, LAST = 0x00, 0x01, 0x02
PDV_ITEM_OVERHEAD = 6  # item length (4), presentation context ID (1), message control header (1)


def pending_command(request: C_FIND) -> bytes:
    """The command set of a Pending response to `request` with an identifier, encoded as
    PS3.7 6.3.1 requires (implicit VR little endian) by pynetdicom."""
    response = C_FIND()
    response.MessageID = request.MessageID
    response.MessageIDBeingRespondedTo = request.MessageID
    response.AffectedSOPClassUID = request.AffectedSOPClassUID
    response.Status = PENDING
    response.Identifier = BytesIO(b"\0")  # any: marks the command as followed by a data set
    message = C_FIND_RSP()
    message.primitive_to_message(response)
    return encode(message.command_set, True, True)


def p_data(context_id: int, payload: bytes, *, kind: int, max_pdu_length: int) -> Iterator[P_DATA]:
    """One message part (its command or its data set) as P-DATA, each within the peer's
    maximum PDU length (0: no limit)."""
    size = max_pdu_length - PDV_ITEM_OVERHEAD if max_pdu_length else max(len(payload), 1)
    fragments = [payload[start : start + size] for start in range(0, len(payload), size)] or [b""]
    for index, fragment in enumerate(fragments):
        header = kind | (LAST if index == len(fragments) - 1 else 0)
        primitive = P_DATA()
        primitive.presentation_data_value_list.append((context_id, bytes([header]) + fragment))
        yield primitive


def send(event, identifiers: Iterable[bytes]) -> bool:
    """Send each encoded identifier as a Pending response to the C-FIND of `event`. False
    when the peer cancelled (C-CANCEL) or the association ended before all were sent."""
    assoc, context_id = event.assoc, event.context.context_id
    max_pdu_length = assoc.dimse.maximum_pdu_size
    # The DUL only reads a primitive to encode it, so one command serves every response.
    command = list(p_data(context_id, pending_command(event.request), kind=COMMAND, max_pdu_length=max_pdu_length))
    for identifier in identifiers:
        if event.is_cancelled or not assoc.is_established:
            return False
        for primitive in (*command, *p_data(context_id, identifier, kind=DATA, max_pdu_length=max_pdu_length)):
            assoc.dul.send_pdu(primitive)
    return True
