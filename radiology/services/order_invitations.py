"""Booking from an order invitation (issue 21 C): for an order waiting to be scheduled, the
patient gets an SMS or e-mail (outbox) with a signed link to one invitation; behind it she
sees the earliest free times that fit the order and books the one she picks, on THAT order,
through the booking service (prep and reminders as any booking). A scheduler sends it from
the order page ("Invite to book"), or every new order gets one when ORDER_INVITATIONS_AUTOMATIC
is on. invitation_steps.py closes it when the order is booked or cancelled and puts it on the
to-do when unanswered. Above the booking service (it books), beside rebooking_link."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from notifications import services as outbox
from radiology.errors import ServiceRefusal
from radiology.models import Order, OrderInvitation
from radiology.services import invitation_steps, loop_steps
from radiology.services.order_actions import ORDER_ACTIONS
from radiology.services.rebooking_link import book_chosen_time, free_choices
from radiology.services.reminders import patient_address

I = OrderInvitation.Status  # noqa: E741
CHOICES = 8  # the earliest eight free times: enough to find a morning and an afternoon


def invite_to_book(*, order_id: int, actor, now: datetime) -> OrderInvitation:
    """Send her an invitation to choose a time for this waiting order (replacing an open one).
    Refused when the order is not waiting, or when nothing reaches her in writing (her number
    replied STOP and she has no e-mail, or she has neither): then a scheduler calls her."""
    if actor is not None and not actor.has_perm("radiology.book_appointment"):
        raise ServiceRefusal("Your role does not allow inviting patients to book.", code="forbidden")
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("patient", "procedure").filter(pk=order_id).first()
        if order is None:
            raise ServiceRefusal("No such order.", code="not_found")
        refusal = ORDER_ACTIONS["invite"].refusal(order, ())
        if refusal:
            raise ServiceRefusal(refusal, code="not_allowed")
        patient = order.patient
        channel, recipient, stopped = patient_address(patient)
        if patient.deceased or patient.is_merged or not recipient or stopped:
            raise ServiceRefusal(
                "Nothing reaches her in writing (no number she accepts texts on, no e-mail): call her to book.",
                code="not_allowed",
            )
        invitation_steps.replace_open(order=order, now=now)
        invitation = OrderInvitation.objects.create(
            order=order,
            channel=channel,
            sent_at=now,
            sent_by=actor,
            todo_due_at=now + timedelta(hours=settings.ORDER_INVITATION_TODO_AFTER_HOURS),
        )
        message = loop_steps.patient_message(
            patient=patient,
            subject=invitation.reference,
            kind="order_invitation",
            due=now,
            now=now,
            key=f"{invitation.reference}:sent",
        )
        outbox.schedule_messages(messages=[message])
    return invitation


def on_order_received(*, order: Order, now: datetime) -> OrderInvitation | None:
    """A new order (HL7 intake, the API): invited at once when the department chose so.
    A patient nothing reaches in writing stays in the queue for a scheduler's call."""
    if not settings.ORDER_INVITATIONS_AUTOMATIC:
        return None
    try:
        return invite_to_book(order_id=order.pk, actor=None, now=now)
    except ServiceRefusal:
        return None


def open_invitation(invitation_id: int) -> OrderInvitation | None:
    return (
        OrderInvitation.objects.select_related("order__patient", "order__procedure", "appointment")
        .filter(pk=invitation_id)
        .first()
    )


def invitation_choices(*, invitation: OrderInvitation, now: datetime) -> list[datetime]:
    """The earliest free times fitting the order (its procedure, the catalog's usual length),
    while the invitation is open and the order waits."""
    order = invitation.order
    if invitation.status != I.OPEN or order.status != Order.Status.WAITING or order.patient.deceased:
        return []
    procedure = order.procedure
    return free_choices(
        procedure=procedure,
        duration_minutes=procedure.default_duration_minutes,
        patient=order.patient,
        now=now,
        limit=CHOICES,
    )


def book_from_invitation(*, invitation_id: int, start: datetime, now: datetime):
    """She picked a time behind her link: booked on the invited order by the booking service
    (whose hook then marks the invitation booked). Two clicks, or a scheduler booking the
    order meanwhile: the second is told it is already booked."""
    with transaction.atomic():
        invitation = OrderInvitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None:
            raise ServiceRefusal("This invitation does not exist.", code="not_found")
        invitation = open_invitation(invitation_id)
        if invitation.status != I.OPEN:
            raise ServiceRefusal(already_answered_sentence(invitation), code="conflict")
        return book_chosen_time(
            order=invitation.order,
            duration_minutes=invitation.order.procedure.default_duration_minutes,
            start=start,
            choices=invitation_choices(invitation=invitation, now=now),
            now=now,
        )


def already_answered_sentence(invitation: OrderInvitation) -> str:
    if invitation.status == I.BOOKED:
        return "This appointment is already booked."
    return "This invitation is no longer open. Please call us to book."
