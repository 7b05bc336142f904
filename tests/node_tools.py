"""The npm test tools (package.json, installed by `make node-deps`): axe-core and ical.js.

Locally, without them, the tests that need them skip with the reason; in CI they fail.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
ICAL = NODE_MODULES / "ical.js" / "dist" / "ical.js"


def _missing(reason: str):
    from tests.conftest import IN_CI

    if IN_CI:
        pytest.fail(f"{reason} (required in CI: make node-deps)", pytrace=False)
    pytest.skip(f"{reason}: run make node-deps")


def require(path: Path) -> Path:
    if not path.exists():
        _missing(f"{path.relative_to(ROOT)} is not installed")
    return path


def run_node(script: str, stdin: str) -> str:
    """Run an ES module script with node, from the project root (so it finds node_modules)."""
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed")
    done = subprocess.run(  # noqa: S603 - a fixed script of our own
        [node, "--input-type=module", "-e", script],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
