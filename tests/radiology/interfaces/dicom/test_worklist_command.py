"""`manage.py worklist_scp` (the Procfile's `worklist:` line) starts and answers C-ECHO."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.radiology.interfaces.dicom.reference_worklist import free_port

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.usefixtures("dcmtk")
def test_the_worklist_command_serves_c_echo_under_its_ae_title():
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "worklist_scp", "--port", str(port), "--ae-title", "GALACTO"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline, answered = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            answered = subprocess.run(  # noqa: S603 - a fixed command line
                ["echoscu", "-aec", "GALACTO", "127.0.0.1", str(port)],  # noqa: S607
                capture_output=True,
                timeout=30,
                check=False,
            )
            if answered.returncode == 0:
                break
            time.sleep(0.3)
        assert answered is not None and answered.returncode == 0, answered.stderr if answered else "no answer"
    finally:
        server.terminate()
        server.wait(timeout=10)
