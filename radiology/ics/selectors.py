"""What a feed shows: its owner's appointments from 30 days back to 90 days ahead, in two
queries whatever their number (the feed, then the appointments with their change count)."""

import hmac
from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from radiology.models import Appointment, AppointmentTransition, CalendarFeed
from radiology.services.calendar_feeds import hash_token

PAST = timedelta(days=30)
AHEAD = timedelta(days=90)


def find_feed(*, kind: str, owner_id: int, token: str) -> CalendarFeed | None:
    """The feed this address opens, or None. The owner's row is found by id and the hash
    compared in constant time: response times say nothing about how much of a token was right."""
    if kind not in CalendarFeed.Kind.values:
        return None
    owner = {"staff_id": owner_id} if kind == CalendarFeed.Kind.STAFF else {"room_id": owner_id}
    feed = CalendarFeed.objects.select_related("staff__user", "room").filter(kind=kind, **owner).first()
    if feed is None or not hmac.compare_digest(feed.token_hash, hash_token(token)):
        return None
    return feed


def _changes():
    """How many logged changes (booking, each reschedule, each status change) the appointment
    has had: the basis of the event's SEQUENCE."""
    counted = (
        AppointmentTransition.objects.filter(appointment=OuterRef("pk"))
        .order_by()
        .values("appointment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def feed_appointments(feed: CalendarFeed, *, now) -> list[Appointment]:
    if feed.kind == CalendarFeed.Kind.STAFF:
        mine = Q(radiologist_id=feed.staff_id) | Q(technologist_id=feed.staff_id)
    else:
        mine = Q(room_id=feed.room_id)
    return list(
        Appointment.objects.filter(mine, start__gte=now - PAST, start__lt=now + AHEAD)
        .select_related("room", "patient")
        .only(
            "start",
            "end",
            "status",
            "updated_at",
            "room__name",
            "patient__mrn",
            "patient__given_name",
            "patient__family_name",
        )
        .annotate(changes=_changes())
        .order_by("start", "pk")
    )


def feed_name(feed: CalendarFeed) -> str:
    return feed.staff.name if feed.kind == CalendarFeed.Kind.STAFF else feed.room.name
