import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[4]
SCRIPT = Path(__file__).with_name("read_with_icaljs.mjs")


@pytest.fixture
def icaljs():
    """Parse a feed with ical.js under Node (installed by `make node-deps`)."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ical.js").is_dir():
        reason = "needs Node and ical.js: run `make node-deps`"
        if IN_CI:
            pytest.fail(f"{reason} (required in CI)", pytrace=False)
        pytest.skip(reason)

    def read(body: bytes) -> dict:
        done = subprocess.run(  # noqa: S603 - our own script, our own feed
            [node, str(SCRIPT)], input=body, capture_output=True, check=True, timeout=30, cwd=ROOT
        )
        return json.loads(done.stdout)

    return read
