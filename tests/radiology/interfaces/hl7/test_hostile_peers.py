"""The HL7 listener under attack (issue #23), over real sockets: while idle connections, a
flood of them, a frame over 1 MB or one trickling in come from one address, an EHR elsewhere
still has its order acknowledged within a second, memory stays where it was, and every frame
refused is answered AR (where an answer can still be sent) and is a row on Interface messages.
The limits are docs/interfaces.md's ("Limits"), made short here so each test takes seconds."""

import threading
import time

import pytest

from notifications.channels.mllp import frame
from radiology.interfaces.hl7.intake import receive_safely
from radiology.interfaces.hl7.mllp import MLLPServer
from radiology.models import InterfaceMessage
from tests.hostile import ATTACKER, SECOND_ATTACKER, answered_within, closed_by_peer, connect_from, resident_bytes
from tests.radiology.interfaces.hl7.conftest import Client, order_message, parse_ack

pytestmark = pytest.mark.django_db(transaction=True)
Outcome = InterfaceMessage.Outcome


@pytest.fixture
def bounded_listener(settings):
    settings.HL7_MAX_CONNECTIONS = 16
    settings.HL7_MAX_CONNECTIONS_PER_ADDRESS = 4
    settings.HL7_FRAME_SECONDS = 1
    settings.HL7_IDLE_TIMEOUT_SECONDS = 30
    server = MLLPServer(("127.0.0.1", 0), lambda data, peer: receive_safely(data, peer=peer).data)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    # One order first, untimed: the first message in a process loads what every later one uses.
    warm = Client(port)
    warm.send(order_message(control_id="WARM", placer="WARM"))
    warm.close()
    yield port
    server.shutdown()
    server.server_close()


class Counter:
    n = 0


def assert_honest_order_acknowledged(port: int):
    Counter.n += 1
    client = Client(port)
    try:
        with answered_within(1.0):
            ack = parse_ack(client.send(order_message(control_id=f"HONEST{Counter.n}", placer=f"H{Counter.n}")))
    finally:
        client.close()
    assert ack["MSA"][1] == "AA", ack["MSA"]


def test_idle_connections_from_one_address_leave_the_listener_to_the_ehr(bounded_listener):
    idle = [connect_from(ATTACKER, bounded_listener) for _ in range(10)]
    try:
        assert_honest_order_acknowledged(bounded_listener)
        closed_at_once = [closed_by_peer(sock, within=0.5) for sock in idle]
        # Four are served (until the idle timeout); the other six were closed at the door.
        assert sum(answer is not None for answer in closed_at_once) == 6
    finally:
        for sock in idle:
            sock.close()


def test_a_frame_over_1_mb_is_answered_ar_kept_as_a_row_and_the_connection_goes_on(bounded_listener):
    before = resident_bytes()
    client = Client(bounded_listener)
    try:
        huge = order_message(control_id="HUGE1") + "NTE|1||" + "x" * 5_000_000 + "\r"
        ack = parse_ack(client.send(huge))
        assert ack["MSA"][1:3] == ["AR", "HUGE1"]
        assert "at most 1000000 bytes" in ack["MSA"][3]
        # The same connection takes the next message.
        assert parse_ack(client.send(order_message(control_id="NEXT1")))["MSA"][1] == "AA"
    finally:
        client.close()
    refused = InterfaceMessage.objects.get(control_id="HUGE1")
    assert refused.outcome == Outcome.REJECTED and "bytes long" in refused.detail
    assert len(refused.raw) < 10_000
    assert resident_bytes() - before < 30_000_000


def test_a_frame_trickling_in_is_answered_ar_at_the_frame_time_and_closed(bounded_listener):
    sock = connect_from(ATTACKER, bounded_listener)
    stop = threading.Event()
    message = frame(order_message(control_id="SLOW1").encode())

    def trickle():
        for byte in message[:-2]:
            if stop.wait(0.05):
                return
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        assert_honest_order_acknowledged(bounded_listener)
        answer = closed_by_peer(sock, within=3)
    finally:
        stop.set()
        sender.join(timeout=2)
        sock.close()
    assert answer is not None, "the trickling connection was never closed"
    ack = parse_ack(answer[1:-2])
    assert ack["MSA"][1] == "AR" and "did not arrive whole" in ack["MSA"][3]
    assert InterfaceMessage.objects.get(outcome=Outcome.REJECTED).detail.startswith("The message did not arrive")


def test_a_megabyte_of_short_segments_is_answered_at_once(bounded_listener):
    client = Client(bounded_listener)
    try:
        many = order_message(control_id="MANY1") + "".join(f"NTE|{n}||x\r" for n in range(70_000))
        assert 800_000 < len(many) < 1_000_000
        with answered_within(3.0):
            ack = parse_ack(client.send(many))
    finally:
        client.close()
    assert ack["MSA"][1] == "AR" and "segments" in ack["MSA"][3]
    assert_honest_order_acknowledged(bounded_listener)


def test_a_flood_of_connections_from_two_addresses_leaves_the_listener_answering(bounded_listener):
    held, stop = [], threading.Event()

    def flood(source):
        while not stop.wait(0.005) and len(held) < 400:
            try:
                held.append(connect_from(source, bounded_listener, timeout=2))
            except OSError:
                continue

    flooders = [threading.Thread(target=flood, args=(s,), daemon=True) for s in (ATTACKER, SECOND_ATTACKER)]
    try:
        for flooder in flooders:
            flooder.start()
        started = time.monotonic()
        while len(held) < 60 and time.monotonic() - started < 10:
            time.sleep(0.05)
        for _ in range(3):
            assert_honest_order_acknowledged(bounded_listener)
    finally:
        stop.set()
        for flooder in flooders:
            flooder.join(timeout=5)
        for sock in held:
            sock.close()
    assert len(held) >= 60, "the flood did not get going"
