"""Where the browser tests put their screenshots.

A test run must leave the work tree as it found it, so by default every screenshot goes to
test-output/screenshots/ (ignored by git). The pictures the docs and the README show are
refreshed on purpose: `make screenshots` sets REFRESH_DOCS_SCREENSHOTS=1, and the tests that
take them write them to docs/screenshots/ instead.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_OUTPUT = ROOT / "test-output" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"


def refreshing_docs() -> bool:
    return os.environ.get("REFRESH_DOCS_SCREENSHOTS", "").lower() in {"1", "true", "yes"}


def scratch_folder() -> Path:
    """Screenshots only a person debugging a failure looks at."""
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    return TEST_OUTPUT


def docs_folder() -> Path:
    """Screenshots the docs show: docs/screenshots/ under `make screenshots`, else test-output/."""
    folder = DOCS if refreshing_docs() else TEST_OUTPUT
    folder.mkdir(parents=True, exist_ok=True)
    return folder
