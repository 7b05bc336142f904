"""The order table is the one rule for orders: what the order page offers a role is exactly
what the order services accept from that role, for every order status and every state of
its appointment (correct the facts, cancel, book now)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from radiology.errors import ServiceRefusal
from radiology.models import Order
from radiology.services import orders
from radiology.services.booking import book_appointment
from radiology.services.order_actions import ORDER_ACTIONS, offered_order_actions
from tests.factories import AppointmentFactory, OrderFactory, StaffMemberFactory, small_department

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday
WEDNESDAY_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)
ROLES = ["scheduler", "technologist", "nurse", "radiologist", "manager"]
# (the order's status, its appointment's status or None): every combination that happens.
SITUATIONS = [
    ("waiting", None),
    ("waiting", "cancelled"),
    ("waiting", "no_show"),
    ("waiting", "did_not_proceed"),
    ("scheduled", "booked"),
    ("scheduled", "reminded"),
    ("scheduled", "checked_in"),
    ("scheduled", "in_procedure"),
    ("completed", "completed"),
    ("cancelled", None),
    ("cancelled", "cancelled"),
]


class Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _make(order_status, appointment_status, galactogram) -> Order:
    cancelled = {"cancel_reason": "Referral withdrawn"} if order_status == "cancelled" else {}
    if appointment_status is None:
        return OrderFactory(status=order_status, procedure=galactogram, **cancelled)
    extra = {"cancel_reason": "earlier"} if appointment_status == "cancelled" else {}
    if appointment_status == "did_not_proceed":
        extra = {"abort_reason": "earlier"}
    extra |= {f"order__{name}": value for name, value in cancelled.items()}
    appointment = AppointmentFactory(
        status=appointment_status, procedure=galactogram, order__status=order_status, **extra
    )
    return appointment.order


def _take(action: str, order: Order, user) -> None:
    if action == "correct_facts":
        orders.update_order(order_id=order.pk, actor=user, note="Corrected by phone")
    elif action == "cancel":
        orders.cancel_order(order_id=order.pk, reason="Referral withdrawn", actor=user)
    else:
        book_appointment(
            patient=order.patient,
            procedure=order.procedure,
            start=WEDNESDAY_10,
            duration_minutes=45,
            actor=user,
            order=order,
        )


def _accepted(action: str, order: Order, user) -> bool:
    """The service took it and changed the order (a repeated cancel is a no-op, not a change)."""
    before = Order.objects.values().get(pk=order.pk)
    try:
        with transaction.atomic():
            _take(action, order, user)
            changed = Order.objects.values().get(pk=order.pk) != before
            raise Rollback
    except Rollback:
        return changed
    except ServiceRefusal:
        return False


@pytest.mark.parametrize(("order_status", "appointment_status"), SITUATIONS)
def test_every_offered_order_action_is_accepted_and_every_refused_one_is_not_offered(
    order_status, appointment_status, galactogram
):
    small_department()
    order = _make(order_status, appointment_status, galactogram)
    mismatches = []
    for role in ROLES:
        user = StaffMemberFactory(role=role).user
        offered = {a.name for a in offered_order_actions(order, permissions=user.get_all_permissions())}
        for action in ORDER_ACTIONS:
            if _accepted(action, order, user) != (action in offered):
                mismatches.append(f"{role}/{action}: offered={action in offered}")
    assert not mismatches, mismatches


def test_correcting_the_facts_is_not_offered_while_the_patient_is_in_the_procedure_room(galactogram):
    order = _make("scheduled", "in_procedure", galactogram)
    scheduler = StaffMemberFactory(role="scheduler").user

    offered = {a.name for a in offered_order_actions(order, permissions=scheduler.get_all_permissions())}

    assert "correct_facts" not in offered and "cancel" not in offered
    with pytest.raises(ServiceRefusal, match="checked in"):
        orders.update_order(order_id=order.pk, actor=scheduler, side="right")
