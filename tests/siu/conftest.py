import pytest

from tests.siu.receiver import MLLPReceiver


@pytest.fixture
def receiver(settings):
    """A running MLLP receiver that the `hl7` channel is pointed at (0.5 s ACK timeout)."""
    server = MLLPReceiver(timeout_hold=1.5)
    settings.HL7_OUT_HOST = "127.0.0.1"
    settings.HL7_OUT_PORT = server.port
    settings.HL7_OUT_TIMEOUT = 0.5
    yield server
    server.stop()
