"""The read behind every booking's lock on her: PostgreSQL's written-out statement gives exactly
the rows of the portable ORM one (which SQLite runs), and _lock_her makes of them her row, her
live appointments and her waiting orders of the procedure."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.opt_out import known_opt_out
from radiology.models import Order
from radiology.services import booking
from tests.factories import AppointmentFactory, OrderFactory, PatientFactory, ProcedureFactory, SmsOptOutFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def both(patient_id, procedure, *, with_waiting_orders):
    since = timezone.now()
    args = {"since": since, "with_waiting_orders": with_waiting_orders}
    written_out = sorted(booking._her_rows_postgres(patient_id, procedure, **args), key=repr)
    portable = sorted(booking._her_rows_portable(patient_id, procedure, **args), key=repr)
    return written_out, portable


@pytest.fixture
def her(galactogram):
    patient = PatientFactory(phone="+12025550187", email="ana@example.org")
    SmsOptOutFactory(number="+12025550187")
    now = timezone.now()
    live = [AppointmentFactory(patient=patient, procedure=galactogram, start=now + timedelta(days=d)) for d in (3, 10)]
    AppointmentFactory(
        patient=patient,
        procedure=galactogram,
        start=now + timedelta(days=5),
        status="cancelled",
        cancel_reason="Moved away",
    )
    AppointmentFactory(patient=patient, procedure=galactogram, start=now - timedelta(days=9), status="completed")
    waiting = [OrderFactory(patient=patient, procedure=galactogram) for _ in range(2)]
    OrderFactory(patient=patient, procedure=galactogram, status=Order.Status.CANCELLED, cancel_reason="Duplicate")
    OrderFactory(patient=patient, procedure=ProcedureFactory(slug="breast-mri", name="Breast MRI"))
    return patient, live, waiting


@pytest.mark.parametrize("with_waiting_orders", [True, False])
def test_postgres_and_portable_reads_give_the_same_rows(her, galactogram, with_waiting_orders):
    patient, _, _ = her

    written_out, portable = both(patient.pk, galactogram, with_waiting_orders=with_waiting_orders)

    assert written_out == portable
    assert len(written_out) == (4 if with_waiting_orders else 2)  # 2 live appointments x 2 waiting orders


def test_her_row_whole_with_her_opt_out_her_live_appointments_and_waiting_orders(her, galactogram):
    patient, live, waiting = her

    found, appointments, orders = booking._lock_her(
        patient.pk, galactogram, since=timezone.now(), with_waiting_orders=True
    )

    assert {f.attname: getattr(found, f.attname) for f in type(found)._meta.concrete_fields} == {
        f.attname: getattr(patient, f.attname) for f in type(patient)._meta.concrete_fields
    }
    assert str(found.phone) == "+12025550187"  # a PhoneNumber, as the ORM makes it
    assert known_opt_out(found) is True
    assert [a.pk for a in appointments] == [a.pk for a in live]
    assert [o.pk for o in orders] == [o.pk for o in waiting]


def test_no_one_of_that_id_reads_nothing(galactogram):
    assert both(10**12, galactogram, with_waiting_orders=True) == ([], [])
    assert booking._lock_her(10**12, galactogram, since=timezone.now(), with_waiting_orders=True) == (None, [], [])
