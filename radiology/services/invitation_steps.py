"""An order invitation's life below the booking service (issue 21 C): what closes it and its
one timed step. Booking the order in any way (her link, a scheduler, FHIR) books the
invitation; cancelling the order closes it; unanswered after ORDER_INVITATION_TODO_AFTER_HOURS
it is reached once by the beat (a conditional update on its due column, never a Celery ETA)
and then listed on the schedulers' to-do until someone handles it or the order is booked.
The outbox asks here, at send time, for her freshly signed link and whether it is still wanted.
order_invitations.py (above the booking service) sends invitations and books from them."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications import services as outbox
from radiology.errors import ServiceRefusal
from radiology.models import INVITATION_PREFIX, Order, OrderInvitation
from radiology.services.patient_links import invitation_link

I = OrderInvitation.Status  # noqa: E741 - the model's statuses, as S is the appointment's


def _invitation_id(subject: str) -> int:
    prefix, _, pk = subject.partition(":")
    if prefix != INVITATION_PREFIX:
        raise ValueError(subject)
    return int(pk)


def _close(invitations, *, status, now, note: str, appointment=None) -> int:
    ids = list(invitations.filter(status=I.OPEN).values_list("pk", flat=True))
    if not ids:
        return 0
    OrderInvitation.objects.filter(pk__in=ids).update(
        status=status, closed_at=now, closed_note=note[:200], appointment=appointment
    )
    for pk in ids:
        outbox.withdraw_messages(subject=f"{INVITATION_PREFIX}:{pk}", now=now, reason=f"Withdrawn: {note}")
    return len(ids)


def on_order_booked(*, appointment, now) -> None:
    """Called by the booking service in its transaction: whoever booked, her invitation is answered."""
    _close(
        OrderInvitation.objects.filter(order_id=appointment.order_id),
        status=I.BOOKED,
        now=now,
        note="the order was booked",
        appointment=appointment,
    )


def on_order_closed(*, order, now, note: str) -> None:
    _close(OrderInvitation.objects.filter(order=order), status=I.CLOSED, now=now, note=note)


def replace_open(*, order, now) -> None:
    """A new invitation replaces the open one (its link then shows "use the newer message")."""
    _close(OrderInvitation.objects.filter(order=order), status=I.CLOSED, now=now, note="a newer invitation was sent")


def reach_due_invitations(*, now=None, limit: int = 500) -> int:
    """The beat's tick: each unanswered invitation whose time has come goes on the to-do once."""
    now = now or timezone.now()
    due = OrderInvitation.objects.filter(status=I.OPEN, todo_reached_at__isnull=True, todo_due_at__lte=now)
    ids = list(due.order_by("todo_due_at", "pk").values_list("pk", flat=True)[:limit])
    # Zero rows for an id: another tick got it first, or she booked meanwhile.
    return OrderInvitation.objects.filter(pk__in=ids, status=I.OPEN, todo_reached_at__isnull=True).update(
        todo_reached_at=now
    )


def handle_on_todo(*, invitation_id: int, actor, note: str = "", now=None) -> OrderInvitation:
    """A scheduler dealt with an unanswered invitation (called her, booked by phone, or she
    will not come): it leaves the to-do and its link stops offering times."""
    if actor is None or not actor.has_perm("radiology.book_appointment"):
        raise ServiceRefusal("Your role does not allow working the to-do list.", code="forbidden")
    now = now or timezone.now()
    with transaction.atomic():
        invitation = OrderInvitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or invitation.status != I.OPEN:
            raise ServiceRefusal("This invitation is no longer on the to-do list.", code="not_allowed")
        name = actor.get_full_name() or actor.get_username()
        _close(OrderInvitation.objects.filter(pk=invitation_id), status=I.CLOSED, now=now, note=f"{name}: {note}")
    return OrderInvitation.objects.get(pk=invitation_id)


def message_context(message) -> dict:
    return {"link": invitation_link(_invitation_id(message.subject))}


def message_skip_reason(message) -> str | None:
    invitation = (
        OrderInvitation.objects.filter(pk=_invitation_id(message.subject))
        .values("status", "order__status", "order__patient__deceased")
        .first()
    )
    if invitation is None or invitation["status"] != I.OPEN:
        return "The invitation was answered or closed."
    if invitation["order__status"] != Order.Status.WAITING:
        return "The order is no longer waiting to be booked."
    if invitation["order__patient__deceased"]:
        return "The patient has died."
    return None


def subject_link(subject: str) -> str | None:
    order_id = OrderInvitation.objects.filter(pk=_invitation_id(subject)).values_list("order_id", flat=True).first()
    return reverse("radiology:order_detail", args=[order_id]) if order_id else None
