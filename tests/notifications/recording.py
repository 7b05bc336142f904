"""An SMS backend for delivery tests: every send call is a line in a log, so a message sent
twice shows up twice (the demo's file backend would de-duplicate it and hide the bug).
Works across threads and processes (O_APPEND writes of one short line are atomic)."""

import json
import os
import time
from pathlib import Path

from django.conf import settings


def log_path() -> Path:
    return Path(settings.SMS_FILE_PATH) / "deliveries.log"


def deliveries(path: Path | None = None) -> list[dict]:
    path = path or log_path()
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


class RecordingSMSBackend:
    def send(self, outgoing) -> str:
        delay = float(os.environ.get("SMS_RECORDING_DELAY", "0"))
        if delay:
            time.sleep(delay)
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"key": outgoing.idempotency_key, "to": outgoing.recipient, "pid": os.getpid()}) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        return f"rec-{outgoing.idempotency_key}"

    def lookup(self, idempotency_key: str) -> str | None:
        for delivery in deliveries():
            if delivery["key"] == idempotency_key:
                return f"rec-{idempotency_key}"
        return None
