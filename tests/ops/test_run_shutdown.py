"""Ctrl-C under `make run`: every process gets time for a warm shutdown, and every line
carries the same clock (issue #22)."""

import io
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from config.log_format import UTCFormatter
from tests.ops.nodes import free_port

ROOT = Path(__file__).resolve().parents[2]
# Like a Celery worker finishing its message: SIGTERM, then 7 s of work (honcho's wait was 5).
SLOW = (
    "import signal, sys, time\n"
    "def stop(*_):\n"
    "    time.sleep(7); print('finished warm', flush=True); sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, stop)\n"
    "print('up', flush=True)\n"
    "time.sleep(120)\n"
)


def test_ctrl_c_gives_a_slow_process_its_warm_shutdown_instead_of_sigkill(tmp_path):
    (tmp_path / "slow.py").write_text(SLOW)
    fast = f"fast: {sys.executable} -c 'import time; time.sleep(120)'\n"
    (tmp_path / "Procfile").write_text(fast + f"slow: {sys.executable} -u {tmp_path / 'slow.py'}\n")
    run = subprocess.Popen(  # noqa: S603
        [sys.executable, str(ROOT / "scripts" / "supervise.py"), str(tmp_path / "Procfile")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PORT": str(free_port())},  # its own control socket and files
    )
    lines = []
    for line in run.stdout:
        lines.append(line)
        if "success: slow entered RUNNING" in line:
            break
    run.send_signal(signal.SIGINT)
    out = "".join(lines) + run.communicate(timeout=60)[0]

    assert "finished warm" in out
    assert "stopped: slow (exit status 0)" in out
    assert "SIGKILL" not in out
    # supervisord's own lines carry the same clock as every process's: UTC.
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO", out, re.M)


def test_a_log_line_is_iso_8601_in_utc_whatever_the_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        record = logging.LogRecord("radiology", logging.WARNING, __file__, 1, "Forbidden", None, None)
        record.created, record.msecs = 1_800_000_000.25, 250.0
        line = UTCFormatter().format(record)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()

    assert line == "2027-01-15T08:00:00.250Z WARNING radiology Forbidden"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", line)


def test_celery_logs_through_the_sites_handler_not_its_own(settings):
    assert settings.CELERY_WORKER_HIJACK_ROOT_LOGGER is False
    assert settings.LOGGING["formatters"]["plain"]["()"] == "config.log_format.UTCFormatter"


def test_a_403_is_logged_as_one_line_without_a_traceback(client, db, settings):
    from tests.factories import StaffMemberFactory

    console = next(h for h in logging.getLogger().handlers if isinstance(h.formatter, UTCFormatter))
    stream = io.StringIO()
    previous = console.stream
    console.setStream(stream)
    try:
        client.force_login(StaffMemberFactory(role="technologist").user)
        response = client.get("/schedule/")
    finally:
        console.setStream(previous)

    assert response.status_code == 403
    assert "Forbidden (Permission denied): /schedule/" in stream.getvalue()
    assert "Traceback" not in stream.getvalue()
