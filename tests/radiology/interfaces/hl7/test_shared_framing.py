"""One MLLP framing for both directions: the order listener reads and answers through the
outbox's framing module, so the SIU channel talks to it byte for byte."""

import threading

import pytest

from notifications.channels import Outgoing, PermanentError
from notifications.channels import mllp as framing
from notifications.channels.mllp import MLLPBackend
from radiology.interfaces.hl7 import mllp as listener

SIU = "MSH|^~\\&|GALACTO|RADIOLOGY|EHR|HOSPITAL|20261125120000||SIU^S12^SIU_S12|CTRL42|P|2.5.1\rSCH|1\r"


def ack(code: str, control_id: str) -> bytes:
    return (
        f"MSH|^~\\&|EHR|HOSPITAL|GALACTO|RADIOLOGY|20261125120001||ACK|ACK7|P|2.5.1\rMSA|{code}|{control_id}\r".encode()
    )


@pytest.fixture
def our_listener():
    """The order listener's own server, answering each message as the test says."""
    heard, answers = [], []

    def on_message(data: bytes, peer: str) -> bytes:
        heard.append(data)
        return answers.pop(0) if answers else ack("AA", "CTRL42")

    server = listener.MLLPServer(("127.0.0.1", 0), on_message)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], heard, answers
    server.shutdown()
    server.server_close()


def test_the_listener_frames_and_reads_with_the_outbox_framing_not_a_copy_of_its_own():
    assert listener.frame is framing.frame
    assert listener.read_frames is framing.read_frames
    assert listener.FrameTooLarge is framing.FrameTooLarge


def test_the_siu_channel_delivers_to_the_order_listener_and_reads_its_ack(our_listener):
    port, heard, _ = our_listener
    sent = MLLPBackend(host="127.0.0.1", port=port, timeout=5).send(
        Outgoing(recipient="", text=SIU, idempotency_key="k")
    )
    assert sent == "ACK7"
    assert heard == [SIU.encode()]


def test_an_ae_from_the_listener_is_a_permanent_failure_at_the_channel(our_listener):
    port, _, answers = our_listener
    answers.append(ack("AE", "CTRL42"))
    with pytest.raises(PermanentError, match="AE"):
        MLLPBackend(host="127.0.0.1", port=port, timeout=5).send(Outgoing(recipient="", text=SIU, idempotency_key="k"))
