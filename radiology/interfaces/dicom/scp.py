"""The DICOM door: one pynetdicom Application Entity answering C-ECHO, Modality Worklist
C-FIND and MPPS N-CREATE/N-SET. Handlers only translate; the worklist module and the
performed-step services decide.

pynetdicom runs each association in its own thread, so every request starts and ends with
close_old_connections(): a thread never reuses a connection the database has dropped, and
never keeps one open past the request.
"""

import contextlib
import logging
import socket

from django.conf import settings
from django.db import close_old_connections
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, _config, evt
from pynetdicom.sop_class import ModalityPerformedProcedureStep, ModalityWorklistInformationFind, Verification

from config import tls
from radiology.interfaces.dicom import answers, mpps, pending
from security import read_audit

log = logging.getLogger(__name__)

SUCCESS = 0x0000
PENDING = 0xFF00
CANCELLED = 0xFE00
UNABLE_TO_PROCESS = 0xC000
IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS = 0xA900


def handle_echo(event):
    return SUCCESS


def handle_find(event):
    """Matching replies as Pending (sent by radiology.interfaces.dicom.pending), then Success, which
    pynetdicom sends when the generator ends."""
    if event.request.AffectedSOPClassUID != ModalityWorklistInformationFind:
        yield IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS, None
        return
    close_old_connections()
    try:
        identifiers = answers.replies(event.identifier, syntax=event.context.transfer_syntax)
        read_audit.record_worklist_query(
            identifiers=identifiers,
            syntax=event.context.transfer_syntax,
            calling_ae=event.assoc.requestor.ae_title,
            address=event.assoc.requestor.address,
        )
    except Exception:
        log.exception("Worklist C-FIND failed")
        yield UNABLE_TO_PROCESS, None
        return
    finally:
        close_old_connections()
    if not pending.send(event, identifiers):
        yield CANCELLED, None


def handle_n_create(event):
    close_old_connections()
    try:
        return mpps.create(
            sop_instance_uid=event.request.AffectedSOPInstanceUID,
            attributes=event.attribute_list,
            calling_ae=event.assoc.requestor.ae_title,
        )
    finally:
        close_old_connections()


def handle_n_set(event):
    close_old_connections()
    try:
        return mpps.update(
            sop_instance_uid=event.request.RequestedSOPInstanceUID, modifications=event.modification_list
        )
    finally:
        close_old_connections()


# Linux only; elsewhere the acknowledgements stay delayed and only cost time.
QUICKACK = getattr(socket, "TCP_QUICKACK", None)


def handle_connection(event):
    """Send each PDU as soon as it is written. A C-FIND answer is a stream of small PDUs
    (a command, then its identifier); with Nagle's algorithm the second waits for the
    peer's delayed acknowledgement, 40 ms on Linux, at the start of every answer."""
    event.assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    acknowledge_at_once(event)


def acknowledge_at_once(event):
    """The same stall the other way round. dcmtk (findscu, echoscu, most modalities built on
    it) writes a PDU's header and body in two writes with Nagle's algorithm on, so the body
    waits until we acknowledge the header, and Linux delays that acknowledgement by 40 ms
    once a connection has both sent and received. Quick acknowledgement is not sticky: the
    kernel returns to delaying after we send, so it is set again after every PDU we send.
    Measured: 40-50 ms off every C-ECHO and C-FIND from Debian's findscu."""
    connection = event.assoc.dul.socket.socket
    if QUICKACK is not None and connection is not None:
        with contextlib.suppress(OSError):  # closed by the peer meanwhile: nothing to acknowledge
            connection.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)


HANDLERS = [
    (evt.EVT_CONN_OPEN, handle_connection),
    (evt.EVT_PDU_SENT, acknowledge_at_once),
    (evt.EVT_C_ECHO, handle_echo),
    (evt.EVT_C_FIND, handle_find),
    (evt.EVT_N_CREATE, handle_n_create),
    (evt.EVT_N_SET, handle_n_set),
]


def build_ae(*, ae_title: str | None = None) -> AE:
    # pynetdicom's standard handlers log every DIMSE message with its identifier: patient
    # names and birth dates in the logs (the house rule: ids and states only), and most of
    # the CPU time of a 200-item answer. Our handlers log what matters.
    _config.LOG_HANDLER_LEVEL = "none"
    _config.LOG_REQUEST_IDENTIFIERS = False
    _config.LOG_RESPONSE_IDENTIFIERS = False
    ae = AE(ae_title=ae_title or settings.WORKLIST_AE_TITLE)
    ae.add_supported_context(Verification, ALL_TRANSFER_SYNTAXES)
    ae.add_supported_context(ModalityWorklistInformationFind)
    ae.add_supported_context(ModalityPerformedProcedureStep)
    # A modality checks its worklist over one short association; do not keep threads waiting.
    ae.acse_timeout = 30
    ae.dimse_timeout = 30
    ae.network_timeout = 60
    return ae


def start(*, bind: str | None = None, port: int | None = None, ae_title: str | None = None, block: bool = True):
    """Serve; with block=False returns the server (tests stop it with .shutdown()). Over TLS
    when WORKLIST_TLS_CERT is set (config/tls.py)."""
    ae = build_ae(ae_title=ae_title)
    address = (bind or settings.WORKLIST_BIND, settings.WORKLIST_PORT if port is None else port)
    context = tls.server_context(
        cert=settings.WORKLIST_TLS_CERT, key=settings.WORKLIST_TLS_KEY, ca=settings.WORKLIST_TLS_CA, prefix="WORKLIST"
    )
    return ae.start_server(address, block=block, evt_handlers=HANDLERS, ssl_context=context)
