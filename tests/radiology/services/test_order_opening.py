"""Opening an order: on PostgreSQL one statement writes the day's serial, the order and its
"+" history record; it must write exactly what the ORM and django-simple-history write."""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.forms.models import model_to_dict
from simple_history.models import HistoricalRecords

from radiology.models import Order
from radiology.services import order_opening
from tests.factories import PatientFactory, StaffMemberFactory
from tests.race import race

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)

# Made fresh for every order, or by the database: everything else must be equal.
FRESH = {"id", "accession_number", "study_instance_uid", "history_id", "history_date", "created_at", "updated_at"}


def open_one(galactogram, patient, user, **fields):
    return order_opening.open_order(
        now=NOW,
        patient=patient,
        procedure=galactogram,
        created_by=user,
        side="left",
        indication="bloody",
        priority="urgent",
        note="Seen in clinic: blood-stained discharge, left.",
        **fields,
    )


def row(model, **where):
    found = model.objects.filter(**where).values()
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def in_a_request():
    """As simple-history's middleware notes the request of a logged-in user."""

    def note(user):
        HistoricalRecords.context.request = SimpleNamespace(user=user)

    yield note
    if hasattr(HistoricalRecords.context, "request"):
        del HistoricalRecords.context.request


@pytest.mark.postgres
def test_one_statement_writes_the_rows_the_orm_and_simple_history_write(galactogram, in_a_request, monkeypatch):
    user, patient = StaffMemberFactory(scheduler=True).user, PatientFactory()
    in_a_request(user)
    with time_machine.travel(NOW, tick=False):
        assert order_opening._in_one_statement()
        one = open_one(galactogram, patient, user)
        monkeypatch.setattr(order_opening, "_in_one_statement", lambda: False)
        orm = open_one(galactogram, patient, user)

    assert (one.accession_number, orm.accession_number) == ("GA2027010400001", "GA2027010400002")
    mine, theirs = row(Order, pk=one.pk), row(Order, pk=orm.pk)
    assert {k: v for k, v in mine.items() if k not in FRESH} == {k: v for k, v in theirs.items() if k not in FRESH}
    assert mine["accession_number"] == one.accession_number and mine["created_at"] == NOW
    history = Order.history.model
    mine, theirs = row(history, id=one.pk), row(history, id=orm.pk)
    assert {k: v for k, v in mine.items() if k not in FRESH} == {k: v for k, v in theirs.items() if k not in FRESH}
    assert (mine["history_type"], mine["history_user_id"], mine["history_date"]) == ("+", user.pk, NOW)
    assert mine["accession_number"] == one.accession_number


@pytest.mark.postgres
def test_the_order_opened_in_one_statement_is_saved_like_any_other(galactogram):
    user = StaffMemberFactory(scheduler=True).user
    with time_machine.travel(NOW, tick=False):
        order = open_one(galactogram, PatientFactory(), user)
        order.note = "Ultrasound booked first."
        order.save()

    assert model_to_dict(Order.objects.get(pk=order.pk)) == model_to_dict(order)
    created, changed = order.history.order_by("history_id")
    assert (created.history_type, changed.history_type) == ("+", "~")
    assert [c.field for c in changed.diff_against(created).changes] == ["note"]
    assert created.history_user is None  # no request: as simple-history leaves it


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_orders_opened_at_once_on_a_new_day_get_consecutive_numbers(galactogram):
    """Real threads: the day's first number creates its counter row; the rivals wait, then count on."""
    patient = PatientFactory()

    def open_in_a_transaction(_):
        with transaction.atomic():
            return open_one(galactogram, patient, None).accession_number

    numbers = race(*[lambda i=i: open_in_a_transaction(i) for i in range(6)], timeout=60)

    assert sorted(numbers) == [f"GA2027010400{n:03d}" for n in range(1, 7)]
    assert Order.history.count() == 6
