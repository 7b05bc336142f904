import pytest


@pytest.fixture
def recording_sms(settings, tmp_path):
    """Count every SMS send call (tests.notifications.recording)."""
    settings.SMS_BACKEND = "tests.notifications.recording.RecordingSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    return tmp_path / "sms" / "deliveries.log"
