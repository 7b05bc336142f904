"""The HL7 listener over TLS (config/tls.py, HL7_TLS_*): an interface engine with the
hospital's certificate sends an order and gets its ACK; one without a certificate, or
speaking plain MLLP, writes nothing."""

import socket
import ssl
import threading

import pytest

from config import tls
from notifications.channels.mllp import frame
from radiology.interfaces.hl7.intake import receive_safely
from radiology.interfaces.hl7.mllp import MLLPServer
from radiology.models import InterfaceMessage, Order
from tests.radiology.interfaces.hl7.conftest import order_message, parse_ack

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tls_listener(pki):
    context = tls.server_context(cert=pki.server.cert, key=pki.server.key, ca=pki.ca, prefix="HL7")
    server = MLLPServer(("127.0.0.1", 0), lambda data, peer: receive_safely(data, peer=peer).data, ssl_context=context)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def exchange(port: int, message: str, context: ssl.SSLContext | None) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
        connection = context.wrap_socket(plain, server_hostname="localhost") if context else plain
        connection.sendall(frame(message.encode()))
        received = b""
        while not received.endswith(b"\x1c\x0d"):
            chunk = connection.recv(65536)
            if not chunk:
                raise ConnectionError("closed without an ACK")
            received += chunk
        return received[1:-2]


def test_an_engine_with_the_hospitals_certificate_is_answered_aa(tls_listener, pki):
    engine = tls.client_context(ca=pki.ca, cert=pki.client.cert, key=pki.client.key, prefix="TEST")
    ack = parse_ack(exchange(tls_listener, order_message(placer="TLS0001"), engine))
    assert ack["MSA"][1] == "AA"
    assert Order.objects.filter(placer_order_number="TLS0001").exists()


@pytest.mark.parametrize("who", ["no certificate", "plain MLLP", "another CA's certificate"])
def test_an_engine_the_hospital_did_not_certify_writes_nothing(tls_listener, pki, who):
    context = {
        "no certificate": tls.client_context(ca=pki.ca, prefix="TEST"),
        "plain MLLP": None,
        "another CA's certificate": tls.client_context(
            ca=pki.ca, cert=pki.stranger.cert, key=pki.stranger.key, prefix="TEST"
        ),
    }[who]
    with pytest.raises((ConnectionError, ssl.SSLError, OSError)):
        exchange(tls_listener, order_message(placer="TLS0002"), context)
    assert not Order.objects.filter(placer_order_number="TLS0002").exists()
    assert not InterfaceMessage.objects.exists()
