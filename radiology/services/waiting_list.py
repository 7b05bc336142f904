"""The waiting list: "tell her if an earlier time frees up" (issue 21 B).

An entry is for one order of hers: the order she names, else the order of her next booked
galactogram, else her one order waiting to be scheduled. The database allows one entry on
the list per order, so asking twice (a double tap, a scheduler and the API) keeps the first.
Her page, the schedulers' pages and the API put her on and take her off here; the beat adds
every order that has waited longer than WAITING_LIST_AUTO_AFTER_DAYS. Who is offered what,
and in which order, is radiology.services.offers.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import UPCOMING, Appointment, Order, Patient, WaitingListEntry

W = WaitingListEntry.State
OPEN_ORDER = (Order.Status.WAITING, Order.Status.SCHEDULED)
PERMISSION = "radiology.book_appointment"


def _check_actor(actor) -> None:
    if actor is not None and not actor.has_perm(PERMISSION):
        raise ServiceRefusal("Your role does not allow changing the waiting list.", code="forbidden")


def order_for(patient: Patient, order: Order | None = None) -> Order:
    """The order an entry is for (see the module's rule), or a refusal saying why none."""
    if order is not None:
        if order.patient_id != patient.pk:
            raise ServiceRefusal(
                "That order is not this patient's.", code="invalid", fields={"order": "Not this patient's order."}
            )
        if order.status not in OPEN_ORDER:
            message = f"The order is {order.get_status_display().lower()}: there is nothing to bring forward."
            raise ServiceRefusal(message, code="invalid", fields={"order": message})
        return order
    booked = (
        Appointment.objects.filter(patient=patient, status__in=UPCOMING, order__status__in=OPEN_ORDER)
        .select_related("order")
        .order_by("start")
        .first()
    )
    if booked is not None:
        return booked.order
    waiting = list(Order.objects.filter(patient=patient, status=Order.Status.WAITING)[:2])
    if len(waiting) == 1:
        return waiting[0]
    message = (
        "She has several orders waiting: say which one."
        if waiting
        else "She has no booked galactogram and no order waiting to be scheduled."
    )
    raise ServiceRefusal(message, code="invalid", fields={"order": message})


def join_waiting_list(
    *, patient: Patient, source: str, actor=None, order: Order | None = None, now: datetime | None = None
) -> WaitingListEntry:
    """Put her on the list for an order; the entry already there is kept (and returned).
    The entry's `just_added` says which (the API answers 201 or 200)."""
    _check_actor(actor)
    now = now or timezone.now()
    if patient.deceased or patient.merged_into_id:
        raise ServiceRefusal("This patient record is closed.", code="not_allowed")
    order = order_for(patient, order)
    existing = WaitingListEntry.objects.filter(order=order, state=W.WAITING).first()
    if existing is not None:
        existing.just_added = False
        return existing
    try:
        with transaction.atomic():
            entry = WaitingListEntry.objects.create(
                patient=patient, order=order, source=source, added_at=now, added_by=actor
            )
            entry.just_added = True
            return entry
    except IntegrityError:  # a rival put her on at the same moment: one entry is kept
        entry = WaitingListEntry.objects.get(order=order, state=W.WAITING)
        entry.just_added = False
        return entry


def leave_waiting_list(*, entry_id: int, actor=None, note: str = "", now: datetime | None = None) -> bool:
    """Take an entry off the list; False when it was no longer on it."""
    _check_actor(actor)
    now = now or timezone.now()
    return bool(
        WaitingListEntry.objects.filter(pk=entry_id, state=W.WAITING).update(
            state=W.REMOVED, ended_at=now, ended_note=(note.strip() or "Taken off the list")[:300]
        )
    )


def leave_for(*, patient: Patient, order=None, actor=None, note: str = "", now: datetime | None = None) -> int:
    """Take her off the list for one order, or for all of hers; how many entries ended."""
    _check_actor(actor)
    entries = WaitingListEntry.objects.filter(patient=patient, state=W.WAITING)
    if order is not None:
        entries = entries.filter(order=order)
    return entries.update(
        state=W.REMOVED, ended_at=now or timezone.now(), ended_note=(note.strip() or "Taken off the list")[:300]
    )


def fulfil(*, entry: WaitingListEntry, now: datetime, note: str) -> None:
    """She got an earlier time through an offer."""
    WaitingListEntry.objects.filter(pk=entry.pk, state=W.WAITING).update(
        state=W.FULFILLED, ended_at=now, ended_note=note[:300]
    )


def waiting_entries(patient: Patient) -> list[WaitingListEntry]:
    return list(
        WaitingListEntry.objects.filter(patient=patient, state=W.WAITING).select_related("order").order_by("added_at")
    )


def add_long_waits(*, now: datetime | None = None) -> int:
    """The beat's hourly look: every open order that has waited longer than the setting (not
    yet booked, or booked further out than that from the order) goes on the list once."""
    days = settings.WAITING_LIST_AUTO_AFTER_DAYS
    if days <= 0:
        return 0
    now = now or timezone.now()
    limit = timedelta(days=days)
    on_list = WaitingListEntry.objects.filter(state=W.WAITING).values("order_id")
    unbooked = Order.objects.filter(status=Order.Status.WAITING, received_at__lt=now - limit)
    booked_far = Order.objects.filter(
        status=Order.Status.SCHEDULED,
        appointments__status__in=UPCOMING,
        appointments__start__gt=F("received_at") + limit,
    )
    added = 0
    for order in (unbooked | booked_far).exclude(pk__in=on_list).exclude(patient__deceased=True).distinct()[:500]:
        try:
            with transaction.atomic():
                WaitingListEntry.objects.create(
                    patient_id=order.patient_id, order=order, source=WaitingListEntry.Source.AUTOMATIC, added_at=now
                )
        except IntegrityError:
            continue
        added += 1
    return added
