"""The one table of what staff can do to an order: correct its facts, cancel it, book it now.

For each action: the permission it needs, its label and button style, the page that does it,
and the rule of when it is allowed (the order's status, and what its appointments say). The
order page shows `offered_order_actions`; the order services (orders.update_order,
orders.cancel_order, order_lifecycle.check_bookable) refuse with the same rule's sentence,
so what the page offers is exactly what the services accept.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from radiology.models import AppointmentStatus, Order

# While the patient is checked in or in the procedure room the order's facts are what the
# technologist confirmed with her: a side changed behind her back is how wrong-side exams happen.
EXAM_UNDER_WAY = (AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROCEDURE)
CLOSED = (Order.Status.CANCELLED, Order.Status.COMPLETED)


def _facts_can_change(order: Order, appointment_statuses: Collection[str]) -> str | None:
    if order.status in CLOSED:
        return f"Order {order.accession_number} is {order.status}; it cannot change."
    if any(status in EXAM_UNDER_WAY for status in appointment_statuses):
        return f"The patient is checked in for order {order.accession_number}; call the department to change it."
    return None


def _can_be_cancelled(order: Order, appointment_statuses: Collection[str]) -> str | None:
    if order.status == Order.Status.CANCELLED:
        # Not offered again; the service takes a repeated cancel (the EHR resends) as done.
        return f"Order {order.accession_number} is already cancelled."
    if order.status == Order.Status.COMPLETED:
        return f"Order {order.accession_number} is completed; it cannot be cancelled."
    # A checked-in patient can still be sent home (the appointment's own cancel allows it).
    if AppointmentStatus.IN_PROCEDURE in appointment_statuses:
        return f"The exam for order {order.accession_number} is under way; it cannot be cancelled now."
    return None


def _waiting(order: Order, appointment_statuses: Collection[str]) -> str | None:
    if order.status != Order.Status.WAITING:
        return f"Order {order.accession_number} is {order.get_status_display().lower()}; it cannot be booked."
    return None


@dataclass(frozen=True)
class OrderAction:
    name: str
    permission: str
    label: str
    rule: Callable[[Order, Collection[str]], str | None] = field(compare=False)
    style: str = "btn-outline-secondary"
    # The page that does it (radiology namespace, with the order's id), and a query string
    # for pages that take the order as a parameter instead.
    url_name: str = ""
    query: str = ""
    # "link": a button to the page; "form": the order page's own form posts to url_name;
    # "post": a button that posts to url_name with nothing else to fill in.
    kind: str = "link"

    def refusal(self, order: Order, appointment_statuses: Collection[str]) -> str | None:
        """Why this cannot be done to the order now, or None. appointment_statuses: the
        statuses of the order's appointments, read by the caller (under its lock, for a service)."""
        return self.rule(order, appointment_statuses)


_TABLE = [
    OrderAction(
        "book_now",
        "radiology.book_appointment",
        "Book",
        _waiting,
        style="btn-primary",
        url_name="schedule_search",
        query="order",
    ),
    # She chooses her own time behind a signed link (services/order_invitations.py).
    OrderAction(
        "invite",
        "radiology.book_appointment",
        "Invite to book",
        _waiting,
        url_name="order_invite",
        kind="post",
    ),
    OrderAction(
        "correct_facts", "radiology.change_order", "Correct the facts", _facts_can_change, url_name="order_edit"
    ),
    OrderAction(
        "cancel",
        "radiology.change_order",
        "Cancel the order",
        _can_be_cancelled,
        style="btn-outline-danger",
        url_name="order_cancel",
        kind="form",
    ),
]
ORDER_ACTIONS: dict[str, OrderAction] = {action.name: action for action in _TABLE}


def appointment_statuses(order: Order) -> set[str]:
    return set(order.appointments.values_list("status", flat=True))


def offered_order_actions(
    order: Order, *, permissions: Collection[str], statuses: Collection[str] | None = None
) -> list[OrderAction]:
    """What a user with these permissions can do to the order now: what the order page
    offers, and exactly what the order services accept."""
    statuses = appointment_statuses(order) if statuses is None else statuses
    return [action for action in _TABLE if action.permission in permissions and action.refusal(order, statuses) is None]
