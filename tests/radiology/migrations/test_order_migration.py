"""Migration 0006 gives every appointment that existed before orders an order of its own,
with an accession number and Study Instance UID, and a status its appointment implies."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from radiology.models import Appointment, Order
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("radiology", "0005_orders")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_existing_appointments_get_an_order_each_when_orders_arrive():
    live = AppointmentFactory(status="reminded")
    done = AppointmentFactory(status="completed")
    cancelled = AppointmentFactory(status="cancelled", cancel_reason="Patient moved away")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE)
    with connection.cursor() as cursor:  # as it was: appointments without orders
        cursor.execute("UPDATE radiology_appointment SET order_id = NULL")
        cursor.execute("DELETE FROM radiology_order")

    _migrate(latest)

    orders = {a.pk: a.order for a in Appointment.objects.select_related("order")}
    assert (orders[live.pk].status, orders[done.pk].status) == ("scheduled", "completed")
    assert orders[cancelled.pk].status == "cancelled"
    assert "Patient moved away" in orders[cancelled.pk].cancel_reason
    assert len({o.accession_number for o in orders.values()}) == 3
    assert all(o.study_instance_uid.startswith("2.25.") and len(o.accession_number) <= 16 for o in orders.values())
    assert Order.objects.count() == 3
