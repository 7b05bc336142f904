"""The worklist service under attack (issue #23), over real sockets: while idle sockets, a
flood of connections, an oversized PDU or a trickling one come from one address, a modality
elsewhere still has its C-ECHO answered within a second, and memory stays where it was. The
limits are the settings of docs/interfaces.md ("Limits"), made short here so that each test
takes a few seconds."""

import contextlib
import struct
import threading
import time

import pytest
from pynetdicom import AE
from pynetdicom.sop_class import Verification

from tests.hostile import ATTACKER, SECOND_ATTACKER, answered_within, closed_by_peer, connect_from, resident_bytes

A_ABORT = 0x07
# A-ASSOCIATE-RJ: rejected-transient, by the service provider (presentation), local limit exceeded.
REJECTED_LOCAL_LIMIT = bytes([0x03, 0, 0, 0, 0, 4, 0, 0x02, 0x03, 0x02])


SHORT_LIMITS = {
    "WORKLIST_MAX_ASSOCIATIONS": 16,
    "WORKLIST_MAX_ASSOCIATIONS_PER_ADDRESS": 4,
    "WORKLIST_ACSE_TIMEOUT": 1,
    "WORKLIST_NETWORK_TIMEOUT": 2,
    "WORKLIST_PDU_SECONDS": 1,
    "WORKLIST_MAX_PDU_BYTES": 1 << 20,
}


@pytest.fixture
def start_server(settings):
    from radiology.interfaces.dicom import scp

    running = []

    def start(**limits):
        for name, value in {**SHORT_LIMITS, **limits}.items():
            setattr(settings, name, value)
        running.append(scp.start(bind="127.0.0.1", port=0, ae_title="GALACTO", block=False))
        return running[-1].server_address[1]

    yield start
    for server in running:
        server.shutdown()


@pytest.fixture
def server(start_server):
    return start_server()


def echo(port: int, *, source: str = "127.0.0.1") -> str:
    """An honest modality's C-ECHO: "rejected", "aborted", or the echo's status in hex."""
    ae = AE(ae_title="MAMMO1")
    ae.acse_timeout = ae.network_timeout = 5
    ae.add_requested_context(Verification)
    assoc = ae.associate("127.0.0.1", port, ae_title="GALACTO", bind_address=(source, 0))
    if not assoc.is_established:
        return "rejected" if assoc.is_rejected else "aborted"
    status = assoc.send_c_echo()
    assoc.release()
    return f"{status.Status:04X}" if "Status" in status else "no answer"


def assert_honest_echo_answered(port: int):
    with answered_within(1.0):
        assert echo(port) == "0000"


def test_idle_sockets_from_one_address_leave_the_service_to_other_modalities(server):
    idle = [connect_from(ATTACKER, server) for _ in range(12)]
    try:
        assert_honest_echo_answered(server)
        # Four are served (and closed when the ACSE timeout passes); the others were
        # turned away at once with an A-ASSOCIATE-RJ "local limit exceeded".
        answers = [closed_by_peer(sock, within=4) for sock in idle]
        turned_away = [a for a in answers if a == REJECTED_LOCAL_LIMIT]
        assert len(turned_away) == 8
        assert all(a is not None for a in answers), "an idle socket was never closed"
    finally:
        for sock in idle:
            sock.close()


def test_a_modality_over_its_addresss_cap_is_told_the_association_is_rejected(start_server):
    # Long enough that the four idle sockets still hold their places on a busy machine.
    server = start_server(WORKLIST_ACSE_TIMEOUT=10, WORKLIST_PDU_SECONDS=10)
    idle = [connect_from(ATTACKER, server) for _ in range(4)]
    try:
        assert echo(server, source=ATTACKER) == "rejected"
        assert_honest_echo_answered(server)
    finally:
        for sock in idle:
            sock.close()


def test_an_idle_socket_is_closed_after_the_acse_timeout(server):
    sock = connect_from(ATTACKER, server)
    try:
        assert closed_by_peer(sock, within=3) is not None
    finally:
        sock.close()


def test_an_association_request_of_300_mb_is_aborted_before_it_is_read(server):
    before = resident_bytes()
    sock = connect_from(ATTACKER, server)
    try:
        # An A-ASSOCIATE-RQ announcing 300 MB, and the first 8 MB of it.
        sock.sendall(struct.pack(">BBL", 0x01, 0, 300_000_000))
        with pytest.raises(OSError):
            for _ in range(128):
                sock.sendall(b"\0" * 65536)
        assert_honest_echo_answered(server)
    finally:
        sock.close()
    assert resident_bytes() - before < 20_000_000


def test_the_abort_of_an_oversized_pdu_says_invalid_pdu_parameter(server):
    sock = connect_from(ATTACKER, server)
    try:
        sock.sendall(struct.pack(">BBL", 0x01, 0, 300_000_000))
        answer = closed_by_peer(sock, within=2)
    finally:
        sock.close()
    assert answer[:1] == bytes([A_ABORT]) and answer[-1] == 0x06


def test_a_pdu_trickling_in_is_closed_after_the_pdu_time(server):
    sock = connect_from(ATTACKER, server)
    stop = threading.Event()

    def trickle():
        sock.sendall(struct.pack(">BBL", 0x01, 0, 200))
        while not stop.wait(0.2):
            try:
                sock.sendall(b"\0")
            except OSError:
                return

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        assert_honest_echo_answered(server)
        assert closed_by_peer(sock, within=3) is not None
    finally:
        stop.set()
        sender.join(timeout=2)
        sock.close()


def test_a_flood_of_connections_from_two_addresses_leaves_the_service_answering(server):
    before = resident_bytes()
    held, stop = [], threading.Event()

    def flood(source):
        # A connection every 5 ms from each address, each kept, as an attacker would; the
        # pause leaves the honest client's threads a share of this one process's GIL.
        while not stop.wait(0.005) and len(held) < 400:
            with contextlib.suppress(OSError):
                held.append(connect_from(source, server, timeout=2))

    flooders = [threading.Thread(target=flood, args=(s,), daemon=True) for s in (ATTACKER, SECOND_ATTACKER)]
    try:
        for flooder in flooders:
            flooder.start()
        started = time.monotonic()
        while len(held) < 60 and time.monotonic() - started < 10:
            time.sleep(0.05)
        for _ in range(3):
            assert_honest_echo_answered(server)
    finally:
        stop.set()
        for flooder in flooders:
            flooder.join(timeout=5)
        for sock in held:
            sock.close()
    assert len(held) >= 60, "the flood did not get going"
    assert resident_bytes() - before < 50_000_000
