import pytest

from tests.radiology.encoders.siu.receiver import MLLPReceiver


@pytest.fixture
def receiver(settings):
    """A running MLLP receiver that the `hl7` channel is pointed at. The sender waits 2 s for an
    ACK: long enough for a strict parse on a busy machine, short for the time-out tests."""
    server = MLLPReceiver()
    settings.HL7_OUT_HOST = "127.0.0.1"
    settings.HL7_OUT_PORT = server.port
    settings.HL7_OUT_TIMEOUT = 2.0
    settings.HL7_OUT_MESSAGES = ["siu"]  # these tests are about SIU; the order status has its own
    yield server
    server.stop()
