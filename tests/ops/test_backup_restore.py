"""The restore drill, automated: a dump from deploy/backup.sh restores into a new database
and the application reads it (migrations complete, an appointment's page renders)."""

import subprocess
import sys
import uuid

import pytest
from django.db import connection

from radiology.models import Appointment
from tests.factories import AppointmentFactory
from tests.ops.nodes import create_database, drop_database
from tests.ops.support import ROOT, child_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

READ_BACK = """
import django, sys
django.setup()
from django.core.management import call_command
from django.db.migrations.executor import MigrationExecutor
from django.db import connection
from django.test import Client
from radiology.models import Appointment, StaffMember
executor = MigrationExecutor(connection)
assert not executor.migration_plan(executor.loader.graph.leaf_nodes()), "unapplied migrations"
appointment = Appointment.objects.select_related("patient").get(pk=int(sys.argv[1]))
client = Client()
client.force_login(StaffMember.objects.get(role="scheduler").user)
page = client.get(f"/appointments/{appointment.pk}/")
assert page.status_code == 200, page.status_code
assert appointment.patient.mrn.encode() in page.content
print("read", appointment.pk, appointment.patient.mrn, appointment.status)
"""


def test_a_backup_restores_into_a_new_database_that_the_app_reads(tmp_path):
    from tests.factories import StaffMemberFactory

    StaffMemberFactory(scheduler=True)
    appointment = AppointmentFactory()
    source = connection.settings_dict
    url = f"postgres://{source['USER']}:{source.get('PASSWORD') or ''}@{source['HOST']}:{source['PORT'] or 5432}"

    backup = subprocess.run(  # noqa: S603
        ["bash", str(ROOT / "deploy" / "backup.sh")],  # noqa: S607
        env=child_env(DATABASE_URL=f"{url}/{source['NAME']}", BACKUP_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert backup.returncode == 0, backup.stderr
    dump = backup.stdout.strip().splitlines()[-1]

    name = f"restore_{uuid.uuid4().hex[:8]}"
    restored = create_database(f"{url}/x", name)
    try:
        restore = subprocess.run(  # noqa: S603
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", restored, dump],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert restore.returncode == 0, restore.stderr
        read = subprocess.run(  # noqa: S603
            [sys.executable, "-c", READ_BACK, str(appointment.pk)],
            cwd=ROOT,
            env=child_env(DATABASE_URL=restored, DJANGO_SETTINGS_MODULE="config.settings"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert read.returncode == 0, read.stderr[-3000:]
        assert read.stdout.split() == ["read", str(appointment.pk), appointment.patient.mrn, appointment.status]
        assert Appointment.objects.filter(pk=appointment.pk).exists()
    finally:
        drop_database(f"{url}/x", name)
