import pytest


@pytest.fixture
def recording_sms(settings, tmp_path):
    """Count every SMS send call (tests.notifications.recording)."""
    settings.SMS_BACKEND = "tests.notifications.recording.RecordingSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    return tmp_path / "sms" / "deliveries.log"


@pytest.fixture
def eager_tasks():
    """Celery tasks run in the calling thread when published (errors raised): the immediate
    path's enqueue-after-commit is then observable without a worker."""
    from config.celery import app

    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


@pytest.fixture
def mllp_receiver(settings):
    """A real MLLP receiver (tests.radiology.encoders.siu.receiver: strict hl7apy parse, scripted
    answers) that the `hl7` channel is pointed at, with a 2 s ACK time-out."""
    from tests.radiology.encoders.siu.receiver import MLLPReceiver

    server = MLLPReceiver()
    settings.HL7_OUT_HOST = "127.0.0.1"
    settings.HL7_OUT_PORT = server.port
    settings.HL7_OUT_TIMEOUT = 2.0
    settings.HL7_OUT_MESSAGES = ["siu"]  # the SIU chain (the rest: tests/radiology/encoders/hl7_out/)
    yield server
    server.stop()
