"""Working an offer round: who is offered the freed time, the hold, the answer (issue 21 B).

One step of a round (`advance_round`, under the round's row lock): a live hold whose time is
up becomes "no answer in time" and is released; then the best eligible patient on the list
is offered the time. Eligible: on the list for an open order of this procedure, reachable and
not opted out (radiology.contact.offer_channel), not offered this round yet, booked later than
the freed time or not booked, and able to keep the no-expression window (the time starts at
least the window's short end, 24 h, from now; under its long end, 48 h, she is asked to
confirm she has not expressed fluid and can keep it so). Best first: waiting longest (since
the order came), then the order's clinical priority. The time is held for her for
OFFER_HOLD_MINUTES (a scheduling hold: the exclusion constraint keeps everyone else out) and
the offer goes out through the outbox in the same transaction. The round's next step is then
the hold's expiry, read by the beat. Nobody left: the round ends, the time is free for all.

Her answer (`accept_offer`, `decline_offer`) takes the same round lock, so an answer and the
expiry cannot both win. Accepting moves her booked appointment (the rescheduling service:
the same appointment, its reminders re-planned) or books her waiting order (the booking
service); the hold is let go inside that transaction, so nobody can slip in between.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications import services as outbox
from notifications.models import Message
from notifications.quiet_hours import out_of_quiet_hours
from radiology.contact import offer_channel
from radiology.errors import ServiceRefusal
from radiology.models import (
    OFFER_PREFIX,
    UPCOMING,
    Appointment,
    Channel,
    OfferRound,
    Order,
    SlotOffer,
    WaitingListEntry,
)
from radiology.services import waiting_list
from radiology.services.booking import book_appointment
from radiology.services.offer_rounds import start_round
from radiology.services.rescheduling import reschedule_appointment
from radiology.services.slots import find_galactogram_slots
from scheduling import services as calendar
from scheduling.clinic_time import clinic_zone

OS = SlotOffer.State
ROUND = OfferRound.State
CANDIDATES_PER_STEP = 50
OFFER_NOTE = "Earlier-slot offer accepted through her link"


# --- who is offered ------------------------------------------------------------------------


def _waiting_since(entry: WaitingListEntry) -> datetime:
    return min(entry.order.received_at, entry.added_at)


def ranked_entries(offer_round: OfferRound) -> list[WaitingListEntry]:
    """The list for this round's procedure, best first, without those offered this round."""
    offered = SlotOffer.objects.filter(round=offer_round).values("patient_id")
    entries = (
        WaitingListEntry.objects.filter(
            state=WaitingListEntry.State.WAITING,
            order__procedure=offer_round.procedure,
            order__status__in=waiting_list.OPEN_ORDER,
        )
        .exclude(patient_id__in=offered)
        .select_related("patient", "order")
    )
    urgent = Order.Priority.URGENT
    return sorted(entries, key=lambda e: (_waiting_since(e), e.order.priority != urgent, e.pk))


def _booked(entry: WaitingListEntry) -> Appointment | None:
    return (
        Appointment.objects.filter(order=entry.order, status__in=UPCOMING)
        .select_related("procedure", "patient")
        .order_by("start")
        .first()
    )


def _slot_for(offer_round: OfferRound, entry: WaitingListEntry, booked: Appointment | None, now: datetime):
    """The first free start in the round's window she could take, or None."""
    procedure = offer_round.procedure
    duration = booked.duration_minutes if booked else offer_round.duration_minutes
    earliest = max(offer_round.window_start, now + timedelta(hours=procedure.no_expression_window_min_hours))
    latest_end = offer_round.window_end
    if booked is not None:
        latest_end = min(latest_end, booked.start)  # only ever earlier than what she has
    zone = clinic_zone()
    options = find_galactogram_slots(
        procedure=procedure,
        duration_minutes=duration,
        start_date=earliest.astimezone(zone).date(),
        end_date=latest_end.astimezone(zone).date(),
        patient=entry.patient,
        exclude_appointment=booked,
        earliest=earliest,
        short_notice=True,
        limit=4,
        now=now,
    )
    return next((o for o in options if o.end <= latest_end and o.start < latest_end), None)


# --- a round's step --------------------------------------------------------------------------


def advance_round(*, round_id: int, now: datetime | None = None) -> SlotOffer | None:
    """One step of a round (see the module's rule); the new offer, or None."""
    now = now or timezone.now()
    with transaction.atomic():
        offer_round = (
            OfferRound.objects.select_for_update(skip_locked=True)
            .filter(pk=round_id, state=ROUND.OPEN, next_step_at__lte=now)
            .select_related("procedure")
            .first()
        )
        if offer_round is None:
            return None  # not due, closed, or another worker is on it
        live = SlotOffer.objects.filter(round=offer_round, state=OS.HELD).first()
        if live is not None:
            if live.hold_expires_at > now:
                offer_round.next_step_at = live.hold_expires_at
                offer_round.save(update_fields=["next_step_at"])
                return None
            _lapse(live, now)
        quiet_end = out_of_quiet_hours(now)
        if quiet_end > now:
            # Nobody is texted at night; a 20-minute hold would end before she wakes.
            OfferRound.objects.filter(pk=round_id).update(next_step_at=quiet_end)
            return None
        for entry in ranked_entries(offer_round)[:CANDIDATES_PER_STEP]:
            channel = offer_channel(entry.patient)
            booked = _booked(entry)
            if channel is None or (booked is not None and booked.start <= offer_round.window_start):
                continue
            option = _slot_for(offer_round, entry, booked, now)
            if option is None:
                continue
            offer = _make_offer(offer_round, entry, booked, option, channel, now)
            if offer is not None:
                return offer
        OfferRound.objects.filter(pk=round_id).update(state=ROUND.EXHAUSTED, ended_at=now, next_step_at=None)
    return None


def _lapse(offer: SlotOffer, now: datetime) -> None:
    SlotOffer.objects.filter(pk=offer.pk, state=OS.HELD).update(state=OS.EXPIRED)
    calendar.release(holder=offer.holder, now=now)


def _make_offer(offer_round, entry, booked, option, channel, now) -> SlotOffer | None:
    procedure = offer_round.procedure
    expires = now + timedelta(minutes=settings.OFFER_HOLD_MINUTES)
    try:
        with transaction.atomic():
            offer = SlotOffer.objects.create(
                round=offer_round,
                entry=entry,
                patient=entry.patient,
                start=option.start,
                end=option.end,
                room=option.room,
                radiologist=option.radiologist,
                technologist=option.technologist,
                offered_at=now,
                hold_expires_at=expires,
                asks_no_expression=option.start - now < timedelta(hours=procedure.no_expression_window_max_hours),
                previous_start=booked.start if booked else None,
            )
            holds = [
                (option.room.resource, option.start, option.end + timedelta(minutes=procedure.turnover_minutes)),
                (option.radiologist.resource, option.start, option.end),
                (option.technologist.resource, option.start, option.end),
            ]
            calendar.reserve(holds=holds, holder=offer.holder, expires_at=expires, now=now)
    except calendar.SlotTaken:
        return None  # someone booked it since the search: try the next patient
    outbox.schedule_messages(messages=[_offer_message(offer, channel, now)])
    OfferRound.objects.filter(pk=offer_round.pk).update(next_step_at=expires)
    return offer


def _offer_message(offer: SlotOffer, channel: str, now: datetime) -> Message:
    patient = offer.patient
    sms = channel == Channel.SMS
    return Message(
        subject=offer.holder,  # the outbox signs her offer link at send time
        audience=Message.Audience.PATIENT,
        recipient=str(patient.phone) if sms else patient.email,
        channel=Message.Channel.SMS if sms else Message.Channel.EMAIL,
        kind="earlier_slot",
        language=patient.language,
        context={
            "first_name": patient.given_name,
            "clinic_name": settings.CLINIC_NAME,
            "clinic_phone": settings.CLINIC_PHONE,
            "tz": settings.CLINIC_TIME_ZONE,
            "start_at": offer.start.isoformat(),
            "hold_minutes": settings.OFFER_HOLD_MINUTES,
        },
        due_at=now,
        expires_at=offer.hold_expires_at,  # an offer she cannot answer in time is not sent
        quiet_hours=False,
        idempotency_key=f"{offer.holder}:offer",
    )


def advance_due_rounds(*, now: datetime | None = None, limit: int = 200) -> int:
    """The beat's tick: expired holds are released (offers and FHIR holds alike) and every
    round whose step is due takes it."""
    now = now or timezone.now()
    calendar.release_expired(now=now)
    due = OfferRound.objects.filter(state=ROUND.OPEN, next_step_at__lte=now).order_by("next_step_at")
    made = 0
    for round_id in due.values_list("pk", flat=True)[:limit]:
        made += advance_round(round_id=round_id, now=now) is not None
    return made


# --- her answer --------------------------------------------------------------------------------


def _locked(offer_id: int) -> tuple[OfferRound, SlotOffer]:
    offer = SlotOffer.objects.filter(pk=offer_id).values_list("round_id", flat=True).first()
    if offer is None:
        raise ServiceRefusal("This offer does not exist.", code="not_found")
    offer_round = OfferRound.objects.select_for_update().select_related("procedure").get(pk=offer)
    return offer_round, SlotOffer.objects.select_for_update().select_related("entry__order", "patient").get(pk=offer_id)


def answer_state(offer: SlotOffer, *, now: datetime) -> str:
    """What her link says: "open" (she may accept), "accepted", "declined", "gone" (someone
    else has it, or it can no longer be booked), "expired" (her time to answer ran out)."""
    if offer.state == OS.ACCEPTED:
        return "accepted"
    if offer.state == OS.DECLINED:
        return "declined"
    if offer.round.state == ROUND.FILLED or offer.state == OS.WITHDRAWN:
        return "gone"
    if offer.state == OS.EXPIRED or offer.hold_expires_at <= now:
        return "expired"
    return "open"


def accept_offer(*, offer_id: int, no_expression_confirmed: bool = False, now: datetime | None = None) -> SlotOffer:
    """She takes the offered time (see the module's rule). Accepting twice is one acceptance;
    after the hold expired, or once someone else has it, she is refused and stays on the list."""
    now = now or timezone.now()
    with transaction.atomic():
        offer_round, offer = _locked(offer_id)
        offer.round = offer_round
        state = answer_state(offer, now=now)
        if state == "accepted":
            return offer
        if state == "gone":
            raise ServiceRefusal("Sorry, this time has been taken. You stay on the waiting list.", code="conflict")
        if state == "expired":
            raise ServiceRefusal(
                "Sorry, the time to answer this offer has run out. You stay on the waiting list.", code="not_allowed"
            )
        if state != "open":
            raise ServiceRefusal("This offer can no longer be accepted.", code="not_allowed")
        if offer.asks_no_expression and not no_expression_confirmed:
            message = "Please confirm that you have not expressed fluid and can avoid it until the appointment."
            raise ServiceRefusal(message, code="invalid", fields={"no_expression": message})
        calendar.release(holder=offer.holder, now=now)
        appointment = _take(offer, now)
        days = None
        if offer.previous_start is not None:
            days = Decimal((offer.previous_start - offer.start).total_seconds() / 86400).quantize(Decimal("0.1"))
        SlotOffer.objects.filter(pk=offer.pk).update(
            state=OS.ACCEPTED, answered_at=now, appointment=appointment, days_gained=days
        )
        OfferRound.objects.filter(pk=offer_round.pk).update(state=ROUND.FILLED, ended_at=now, next_step_at=None)
        waiting_list.fulfil(entry=offer.entry, now=now, note=f"Accepted an earlier time (offer #{offer.pk})")
    offer.refresh_from_db()
    return offer


def _take(offer: SlotOffer, now: datetime) -> Appointment:
    procedure = offer.round.procedure
    short = offer.start - now < timedelta(hours=procedure.min_lead_time_hours)
    reason = ""
    if short:  # inside the lead time: the booking services need the reason written down
        reason = "Earlier-slot offer accepted by the patient"
        if offer.asks_no_expression:
            reason += "; she confirmed no expression and can keep it so"
    team = {"room": offer.room, "radiologist": offer.radiologist, "technologist": offer.technologist}
    booked = _booked(offer.entry)
    try:
        if booked is not None:
            if booked.start <= offer.start:
                raise ServiceRefusal("You already have an earlier time.", code="not_allowed")
            return reschedule_appointment(
                appointment_id=booked.pk,
                start=offer.start,
                actor=None,
                lead_time_override_reason=reason,
                note=OFFER_NOTE,
                now=now,
                **team,
            )
        return book_appointment(
            patient=offer.patient,
            procedure=procedure,
            start=offer.start,
            duration_minutes=int((offer.end - offer.start).total_seconds() // 60),
            actor=None,
            order=offer.entry.order,
            lead_time_override_reason=reason,
            now=now,
            **team,
        )
    except ServiceRefusal as refusal:
        if refusal.code == "conflict":  # the booking service's "just taken"
            raise ServiceRefusal(
                "Sorry, this time has been taken. You stay on the waiting list.", code="conflict"
            ) from None
        raise


def decline_offer(*, offer_id: int, now: datetime | None = None) -> SlotOffer:
    """She says no: the hold goes at once and the round offers the time to the next."""
    now = now or timezone.now()
    with transaction.atomic():
        offer_round, offer = _locked(offer_id)
        if offer.state == OS.HELD:
            SlotOffer.objects.filter(pk=offer.pk).update(state=OS.DECLINED, answered_at=now)
            calendar.release(holder=offer.holder, now=now)
            if offer_round.state == ROUND.OPEN:
                OfferRound.objects.filter(pk=offer_round.pk).update(next_step_at=now)
                transaction.on_commit(lambda: start_round(round_id=offer_round.pk))
    offer.refresh_from_db()
    return offer


def offer_id(subject: str) -> int | None:
    """The offer an outbox subject ("offer:12") names."""
    prefix, _, pk = subject.partition(":")
    return int(pk) if prefix == OFFER_PREFIX and pk.isdigit() else None


def offer_skip_reason(message) -> str | None:
    """Re-checked when the offer's message goes: still held for her."""
    offer = SlotOffer.objects.filter(pk=offer_id(message.subject)).values("state", "hold_expires_at").first()
    if offer is None:
        return "The offer no longer exists."
    if offer["state"] != OS.HELD:
        return f"The offer is {OS(offer['state']).label.lower()}."
    if offer["hold_expires_at"] <= timezone.now():
        return "The hold ran out before it could be sent."
    return None
