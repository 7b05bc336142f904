"""Shared fixtures.

Tests marked `postgres` need PostgreSQL (DATABASE_URL); tests marked `celery_worker`
need Redis (REDIS_URL). Locally, without them, they are skipped with the reason. In CI
(CI=true) a missing service is a failure, never a skip.
"""

import os

import pytest
from django.conf import settings
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _require_services(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if request.node.get_closest_marker("celery_worker") and not settings.REDIS_URL:
        _missing("needs Redis: set REDIS_URL=redis://...")


@pytest.fixture(autouse=True)
def _isolated_outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.EMAIL_FILE_PATH = str(tmp_path / "email")


@pytest.fixture
def galactogram(db):
    from procedures.models import Procedure

    return Procedure.objects.get(slug="galactogram")
