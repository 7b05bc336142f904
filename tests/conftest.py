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
    # Hashing a password properly takes ~0.3 s; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    # A test process is not a fresh start (tests of the start's grace set it themselves).
    settings.HEALTH_START_GRACE_SECONDS = 0


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    # Worklist answers, permissions, the catalog and the team are kept under the database's change counters; a test
    # database is flushed or rolled back between tests and its counters start again, which a
    # live service never sees.
    from radiology import catalog_cache, permission_cache, team_cache
    from radiology.interfaces.dicom import answers

    answers.forget()
    permission_cache.forget()
    catalog_cache.forget()
    team_cache.forget()


@pytest.fixture(autouse=True)
def _no_idle_logout(settings):
    # Many tests log in, then move the clock days ahead to the appointment; they are not about
    # idle sessions. tests/security/test_sessions.py sets the real limit where it matters.
    settings.SESSION_IDLE_MINUTES = 60 * 24 * 365 * 10


@pytest.fixture
def galactogram(db):
    from procedures.models import Procedure

    return Procedure.objects.get(slug="galactogram")


# The rows the data migrations load, put back by the migrations' own functions. A transactional
# test ends with a flush, so the database a run leaves behind is empty; `--reuse-db` keeps it
# and does not migrate again, and the next run would find no role groups and no catalog. A data
# migration that loads rows tests rely on belongs in this list.
DATA_MIGRATIONS = [
    ("procedures.migrations.0002_load_galactogram", "load"),
    # sync_role_groups, which every later role migration calls too: the groups as they are now.
    ("radiology.migrations.0002_role_groups", "create_groups"),
    ("radiology.migrations.0019_modality_user", "create_modality_user"),
    ("radiology.migrations.0025_result_letters", "create_letter_rules"),
    ("radiology.migrations.0026_follow_ups_and_rebooking", "load_defaults"),
]


def restore_migrated_data(alias: str) -> None:
    """What `migrate` leaves in a database beside the tables: the content types and permissions
    (post_migrate) and the data migrations' rows, each of them get-or-create."""
    import importlib

    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connections
    from django.db.migrations.loader import MigrationLoader

    connection = connections[alias]
    emit_post_migrate_signal(verbosity=0, interactive=False, db=alias)
    migrated = MigrationLoader(connection).project_state().apps
    with connection.schema_editor() as schema_editor:
        for module, function in DATA_MIGRATIONS:
            getattr(importlib.import_module(module), function)(migrated, schema_editor)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, with what the migrations load in them even when
    `--reuse-db` found them flushed; serialized rollback then restores that after each
    transactional test."""
    from django.db import connections

    with django_db_blocker.unblock():
        for alias in connections:
            restore_migrated_data(alias)
            connection = connections[alias]
            if getattr(connection, "_test_serialized_contents", None) is not None:
                connection._test_serialized_contents = connection.creation.serialize_db_to_string()


def pytest_collection_modifyitems(items):
    # A transactional test ends with a flush, which would also remove the rows that data
    # migrations load (role groups, the procedure catalog). Serialized rollback restores them.
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and "serialized_rollback" not in marker.kwargs:
            item.add_marker(pytest.mark.django_db(**marker.kwargs, serialized_rollback=True), append=False)


# --- shared fixtures: a frozen clock, a department, people by role -------------------------


@pytest.fixture
def frozen_clock(request):
    """Time stands still at the test module's NOW (an aware datetime in clinic time)."""
    import time_machine

    now = request.module.NOW
    with time_machine.travel(now, tick=False):
        yield now


@pytest.fixture
def dept(db):
    """One mammography room, one radiologist and one technologist, working Mon–Fri 08–17."""
    from tests.factories import small_department

    return small_department()


@pytest.fixture
def user_of(db):
    """A user holding a role: user_of("technologist"), or several: user_of("manager", also=["nurse"])."""
    from tests.factories import StaffMemberFactory

    def make(role, **kwargs):
        return StaffMemberFactory(role=role, **kwargs).user

    return make


@pytest.fixture
def scheduler(user_of):
    return user_of("scheduler")


@pytest.fixture
def technologist(user_of):
    return user_of("technologist")


@pytest.fixture
def scheduler_client(client, scheduler):
    client.force_login(scheduler)
    return client


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A CA, a server and client certificate it signed, and a stranger's (tests/pki.py)."""
    import shutil

    from tests.pki import make_pki

    if shutil.which("openssl") is None:
        _missing("needs the openssl command to make test certificates")
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def sms_dir(settings, tmp_path):
    """Texts go to files (one JSON per message, as the gateway would receive it) in this folder."""
    settings.SMS_BACKEND = "notifications.channels.sms.FileSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    return tmp_path / "sms"
