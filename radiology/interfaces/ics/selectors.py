"""What a feed shows: its owner's appointments from 30 days back to 90 days ahead, in two
queries whatever their number (the feed, then the appointments with their SEQUENCE, as plain values)."""

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from radiology.models import Appointment, CalendarFeed
from radiology.services.calendar_feeds import hash_token
from radiology.services.told_table import calendar_sequence

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


def owner_has_left(feed: CalendarFeed) -> bool:
    """A deactivated staff member's calendar shows nothing more: the address was given to her
    as a member of staff, and while her account is inactive she is not one."""
    return feed.kind == CalendarFeed.Kind.STAFF and not feed.staff.user.is_active


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """What a feed prints about one appointment (a read model: plain values, cheap to load)."""

    pk: int
    start: datetime
    end: datetime
    status: str
    updated_at: datetime
    sequence: int  # the told table's calendar_sequence()
    room: str
    mrn: str
    given_name: str
    family_name: str


def feed_events(feed: CalendarFeed, *, now) -> list[FeedEvent]:
    if feed.kind == CalendarFeed.Kind.STAFF:
        mine = Q(radiologist_id=feed.staff_id) | Q(technologist_id=feed.staff_id)
    else:
        mine = Q(room_id=feed.room_id)
    rows = (
        Appointment.objects.filter(mine, start__gte=now - PAST, start__lt=now + AHEAD)
        .annotate(sequence=calendar_sequence())
        .order_by("start", "pk")
        .values_list(
            "pk",
            "start",
            "end",
            "status",
            "updated_at",
            "sequence",
            "room__name",
            "patient__mrn",
            "patient__given_name",
            "patient__family_name",
        )
    )
    return [FeedEvent(*row) for row in rows]


def feed_name(feed: CalendarFeed) -> str:
    return feed.staff.name if feed.kind == CalendarFeed.Kind.STAFF else feed.room.name
