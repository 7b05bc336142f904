"""The DICOM door: one pynetdicom Application Entity answering C-ECHO, Modality Worklist
C-FIND and MPPS N-CREATE/N-SET. Handlers only translate; the worklist module and the
performed-step services decide.

pynetdicom runs each association in its own thread, so every request starts and ends with
close_old_connections(): a thread never reuses a connection the database has dropped, and
never keeps one open past the request.

What a hostile or broken peer can take is bounded (docs/interfaces.md, "Limits"): associations
at once in all and per address (WorklistServer), how long a peer may stay without asking for an
association or silent inside one (pynetdicom's ACSE and network timeouts), and each PDU's size
and the time it may take to arrive (BoundedSocket: the 4-byte length is checked before the body
is read, so a 300 MB association request costs nothing).
"""

import contextlib
import logging
import socket
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import close_old_connections
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, _config, evt
from pynetdicom.sop_class import ModalityPerformedProcedureStep, ModalityWorklistInformationFind, Verification
from pynetdicom.transport import AssociationSocket, RequestHandler, ThreadedAssociationServer

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
        identifiers, mrns = answers.answer(event.identifier, syntax=event.context.transfer_syntax)
        read_audit.record_worklist_query(
            mrns=mrns,
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


# A-ABORT from the service provider, reason "invalid PDU parameter value" (PS3.8 9.3.8).
ABORT_INVALID_PDU = bytes([0x07, 0, 0, 0, 0, 4, 0, 0, 0x02, 0x06])
# A-ASSOCIATE-RJ: rejected (transient) by the service provider (presentation), "local limit
# exceeded" (PS3.8 9.3.4): what pynetdicom itself sends past maximum_associations.
REJECT_LIMIT_EXCEEDED = bytes([0x03, 0, 0, 0, 0, 4, 0, 0x02, 0x03, 0x02])


# A refused connection is held this long (at most this many at once) to read what the peer
# sends, so that it reads the rejection rather than a reset.
TURNED_AWAY_SECONDS = 1.0
TURNED_AWAY_HELD = 256


class BoundedSocket(AssociationSocket):
    """pynetdicom's DUL reads a PDU as recv(6), then recv(length) with the length the peer
    wrote, on a blocking socket: the whole body is gathered in memory before anything looks
    at it, and a peer that sends part of a PDU and stops holds the association's thread for
    ever (its timers are checked only between reads). Here a length over WORKLIST_MAX_PDU_BYTES
    is answered with an A-ABORT before one byte of the body is read, and each read must end
    within WORKLIST_PDU_SECONDS, however slowly the bytes trickle in."""

    def recv(self, nr_bytes: int) -> bytearray:
        peer = self.assoc.requestor.address
        if nr_bytes > settings.WORKLIST_MAX_PDU_BYTES:
            log.warning(
                "dicom: %s announced a PDU of %s bytes (limit %s); aborted before reading it",
                peer,
                nr_bytes,
                settings.WORKLIST_MAX_PDU_BYTES,
            )
            with contextlib.suppress(OSError):
                self.socket.sendall(ABORT_INVALID_PDU)
            raise OSError(f"PDU of {nr_bytes} bytes refused")
        deadline = time.monotonic() + settings.WORKLIST_PDU_SECONDS
        data = bytearray()
        try:
            while len(data) < nr_bytes:
                left = deadline - time.monotonic()
                if left <= 0:
                    seconds = settings.WORKLIST_PDU_SECONDS
                    log.warning("dicom: %s sent %s of %s bytes in %ss; closed", peer, len(data), nr_bytes, seconds)
                    raise TimeoutError("PDU not received in time")
                self.socket.settimeout(left)
                chunk = self.socket.recv(min(65536, nr_bytes - len(data)))
                if not chunk:
                    break
                data += chunk
        finally:
            with contextlib.suppress(OSError):
                self.socket.settimeout(None)
        return data


class BoundedRequestHandler(RequestHandler):
    def handle(self):
        try:
            super().handle()  # ends by starting the association's thread
        except BaseException:
            self.server.finished(self.client_address[0])
            raise

    def _create_association(self):
        assoc = super()._create_association()
        # The same socket object with our reading: a second AssociationSocket would announce
        # the connection (Evt5) to the state machine twice.
        assoc.dul.socket.__class__ = BoundedSocket
        run, server, address = assoc.run, self.server, self.client_address[0]

        def run_and_count():
            try:
                run()
            finally:
                server.finished(address)

        assoc.run = run_and_count  # its place is given back when the association's thread ends
        return assoc


class WorklistServer(ThreadedAssociationServer):
    """pynetdicom's threaded server, with a connection cap per address and in all, checked
    when the connection arrives: before, ten idle sockets from anywhere held all ten
    associations pynetdicom allows, and modalities were turned away."""

    # Connections the kernel queues before we accept them (socketserver's default is 5).
    request_queue_size = 128

    def __init__(self, *args, **kwargs):
        super().__init__(*args, request_handler=BoundedRequestHandler, **kwargs)
        # Connections let in, per address, until their association's thread ends: counted
        # from the moment they are let in, or a burst would pass before any thread is alive.
        self._open = Counter()
        self._lock = threading.Lock()
        self._turning_away: dict[socket.socket, float] = {}  # refused, their rejection sent

    def finished(self, address: str) -> None:
        with self._lock:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]

    def get_request(self):
        """Accept without the TLS handshake: pynetdicom does it here, in the one thread that
        accepts, so a peer that connected and never said hello stopped every other
        connection. The handshake happens in the association's thread, at its first read."""
        client, address = self.socket.accept()
        if self.ssl_context:
            client = self.ssl_context.wrap_socket(client, server_side=True, do_handshake_on_connect=False)
        return client, address

    def verify_request(self, request, client_address) -> bool:
        address = client_address[0]
        with self._lock:
            total, here = sum(self._open.values()), self._open[address]
            # Over the total, pynetdicom itself rejects the association request (A-ASSOCIATE-RJ);
            # far over it, the connection is turned away here so that threads stay bounded.
            if here < settings.WORKLIST_MAX_ASSOCIATIONS_PER_ADDRESS and total < 2 * self.ae.maximum_associations:
                self._open[address] += 1
                return True
        log.warning(
            "dicom: connection from %s refused: %s associations open (%s from this address; caps %s and %s)",
            address,
            total,
            here,
            self.ae.maximum_associations,
            settings.WORKLIST_MAX_ASSOCIATIONS_PER_ADDRESS,
        )
        with contextlib.suppress(OSError):
            request.setblocking(False)
            request.send(REJECT_LIMIT_EXCEEDED)
            request.shutdown(socket.SHUT_WR)
            if len(self._turning_away) < TURNED_AWAY_HELD:
                self._turning_away[request] = time.monotonic() + TURNED_AWAY_SECONDS
        return False

    def shutdown_request(self, request):
        if request not in self._turning_away:
            super().shutdown_request(request)

    def service_actions(self):
        """Between accepts: close each turned-away connection once its association request
        has been read (or after a second). Closed at once, the kernel would answer the request
        with a reset, and the modality might lose the rejection before reading it."""
        super().service_actions()
        now = time.monotonic()
        for sock, deadline in list(self._turning_away.items()):
            try:
                while sock.recv(65536):
                    pass
                done = True  # the peer closed its side
            except BlockingIOError:
                done = now >= deadline
            except OSError:
                done = True
            if done:
                del self._turning_away[sock]
                sock.close()


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
    ae.maximum_associations = settings.WORKLIST_MAX_ASSOCIATIONS
    ae.acse_timeout = settings.WORKLIST_ACSE_TIMEOUT
    ae.dimse_timeout = settings.WORKLIST_DIMSE_TIMEOUT
    ae.network_timeout = settings.WORKLIST_NETWORK_TIMEOUT
    return ae


def start(*, bind: str | None = None, port: int | None = None, ae_title: str | None = None, block: bool = True):
    """Serve; with block=False returns the server (tests stop it with .shutdown()). Over TLS
    when WORKLIST_TLS_CERT is set (config/tls.py)."""
    ae = build_ae(ae_title=ae_title)
    address = (bind or settings.WORKLIST_BIND, settings.WORKLIST_PORT if port is None else port)
    context = tls.server_context(
        cert=settings.WORKLIST_TLS_CERT, key=settings.WORKLIST_TLS_KEY, ca=settings.WORKLIST_TLS_CA, prefix="WORKLIST"
    )
    server = ae.make_server(address, evt_handlers=HANDLERS, ssl_context=context, server_class=WorklistServer)
    ae._servers.append(server)  # noqa: SLF001 - as ae.start_server does, so that ae.shutdown() stops it
    if block:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.shutdown()
        return None
    threading.Thread(target=server.serve_forever, name="WorklistServer", daemon=True).start()
    return server
