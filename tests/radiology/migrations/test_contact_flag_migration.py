"""The contact-flag migration (0020): a phone stored as the HL7 listener received it, not a
number we can dial, moves to the text it was sent as with a "check contact" flag, so the
patient's later orders are no longer refused over it; a good number stays."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from radiology.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("radiology", "0019_modality_user")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_a_stored_phone_that_is_not_a_number_becomes_text_with_a_check_contact_flag():
    stuck = PatientFactory(phone="+12025550100", email="")
    fine = PatientFactory(phone="+12025550111")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE)
    with connection.cursor() as cursor:  # as the listener stored it before
        cursor.execute("UPDATE radiology_patient SET phone = %s WHERE id = %s", ["(046)927-3235", stuck.pk])

    _migrate(latest)

    stuck, fine = Patient.objects.get(pk=stuck.pk), Patient.objects.get(pk=fine.pk)
    assert (str(stuck.phone), stuck.contact_as_sent, stuck.contact_flag) == ("", "(046)927-3235", "check_contact")
    assert stuck.contact_flagged_at is not None
    assert (str(fine.phone), fine.contact_flag) == ("+12025550111", "")
