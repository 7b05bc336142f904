"""Earlier-slot offers as staff read them (issue 21 B): on an appointment (the offers of the time
it freed, and those made to her for its order), on the schedulers' to-do (rounds offering
now and answers of the last days), and the dashboard's figures. Fixed query counts."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum

from radiology.models import Appointment, OfferRound, SlotOffer, WaitingListEntry

_RELATED = ("patient", "round", "room")


def offers_of_appointment(appointment: Appointment) -> dict:
    """{"freed": offers of the time this appointment gave back, "made": offers made to her for
    its order, "entry": her waiting-list entry for its order or None}."""
    freed = SlotOffer.objects.filter(round__freed_appointment=appointment).select_related(*_RELATED)
    made = SlotOffer.objects.filter(entry__order_id=appointment.order_id).select_related(*_RELATED)
    entry = WaitingListEntry.objects.filter(order_id=appointment.order_id, state="waiting").first()
    return {
        "freed": list(freed.order_by("offered_at", "pk")),
        "made": list(made.order_by("-offered_at")),
        "entry": entry,
    }


def offers_for_todo(*, now: datetime, days: int = 7) -> dict:
    """Rounds offering now (with the live offer) and the offers answered or lapsed lately."""
    live = SlotOffer.objects.filter(state="held", round__state="open").select_related(*_RELATED)
    recent = (
        SlotOffer.objects.filter(offered_at__gte=now - timedelta(days=days))
        .exclude(state="held")
        .select_related(*_RELATED)
        .order_by("-offered_at")[:50]
    )
    waiting = WaitingListEntry.objects.filter(state="waiting").count()
    return {"live": list(live.order_by("hold_expires_at")), "recent": list(recent), "on_list": waiting}


@dataclass(frozen=True)
class OfferFigures:
    sent: int
    accepted: int
    days_gained: Decimal
    rounds: int
    filled: int

    @property
    def accepted_percent(self) -> int | None:
        return round(100 * self.accepted / self.sent) if self.sent else None


def offer_figures(*, start: datetime, end: datetime) -> OfferFigures:
    """Offers sent in [start, end), how many were accepted, the days gained by those moved
    earlier, and the rounds (freed times) planned and filled: one query each for offers and rounds."""
    offers = SlotOffer.objects.filter(offered_at__gte=start, offered_at__lt=end).aggregate(
        sent=Count("pk"), accepted=Count("pk", filter=Q(state="accepted")), gained=Sum("days_gained")
    )
    rounds = OfferRound.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        rounds=Count("pk"), filled=Count("pk", filter=Q(state="filled"))
    )
    return OfferFigures(
        sent=offers["sent"],
        accepted=offers["accepted"],
        days_gained=offers["gained"] or Decimal(0),
        rounds=rounds["rounds"],
        filled=rounds["filled"],
    )
