"""Issue #22: `make run` on another port sends links to that port, and a DATABASE_URL whose
database does not exist yet is created before migrating (or refused in one sentence)."""

import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from tests.ops.support import ROOT, child_env


def _make_site_url(**env) -> str:
    environment = {k: v for k, v in child_env(**env).items() if k != "SITE_URL" or "SITE_URL" in env}
    result = subprocess.run(  # noqa: S603
        ["make", "-s", "site-url"],  # noqa: S607 - the make on PATH, as the README's commands
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_links_follow_the_port_and_host_make_run_serves_on():
    assert _make_site_url(PORT="9101") == "http://127.0.0.1:9101"
    assert _make_site_url(PORT="9101", HOST="0.0.0.0") == "http://localhost:9101"  # noqa: S104
    assert _make_site_url(PORT="9101", SITE_URL="https://imaging.example.org") == "https://imaging.example.org"


def _ensure(url: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "scripts/ensure_database.py"],
        cwd=ROOT,
        env=child_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres") and not os.environ.get("CI"),
    reason="needs PostgreSQL (always run in CI)",
)
def test_a_database_that_does_not_exist_is_created_before_migrating():
    server = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1).rpartition("/")[0]
    name = f"galactogram_new_{uuid.uuid4().hex[:8]}"
    try:
        first = _ensure(f"{server}/{name}")
        assert first.returncode == 0, first.stderr
        assert f"Created the PostgreSQL database '{name}'" in first.stdout
        again = _ensure(f"{server}/{name}")
        assert (again.returncode, again.stdout) == (0, "")  # already there: nothing to say
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_an_unreachable_database_server_is_one_sentence_not_a_traceback():
    result = _ensure("postgres://postgres@127.0.0.1:1/galactogram")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Cannot reach or create the database of DATABASE_URL ('galactogram'):")
    assert len(result.stderr.strip().splitlines()) == 1
