"""Calendar feed addresses: made, rotated and revoked here, read by radiology.interfaces.ics.

A token is 32 random bytes (`secrets`), URL-safe; the database keeps only its SHA-256, so a
copy of the database does not open anyone's calendar. A token of that strength needs no slow
or salted hash: there is nothing to guess. The address is shown once, right after it is made.
A clinical staff member manages their own feed; a manager (radiology.change_calendarfeed)
manages the rooms' feeds.
"""

import hashlib
import secrets

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import CalendarFeed, Room, StaffMember

ROOM_PERMISSION = "radiology.change_calendarfeed"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_path(feed: CalendarFeed, token: str) -> str:
    return reverse("calendar_feeds:feed", args=[feed.kind, feed.owner_id, token])


def _check(actor, *, staff: StaffMember | None, room: Room | None) -> None:
    if (staff is None) == (room is None):
        raise ValueError("A feed belongs to one staff member or one room.")
    if staff is not None:
        if staff.user_id != actor.pk or staff.role not in StaffMember.CLINICAL_ROLES:
            raise ServiceRefusal("Only clinical staff have a calendar, and only their own.", code="forbidden")
    elif not actor.has_perm(ROOM_PERMISSION):
        raise ServiceRefusal("Only managers can manage the rooms' calendars.", code="forbidden")


def issue_calendar_feed(*, actor, staff: StaffMember | None = None, room: Room | None = None, now=None) -> str:
    """Make the feed's address, or replace it (rotate): the old address stops working at once.
    Returns the new address's path, which is never shown again."""
    _check(actor, staff=staff, room=room)
    token = secrets.token_urlsafe(32)
    owner = {"staff": staff} if staff is not None else {"room": room}
    with transaction.atomic():
        feed, _ = CalendarFeed.objects.select_for_update().update_or_create(
            **owner,
            defaults={
                "kind": CalendarFeed.Kind.STAFF if staff is not None else CalendarFeed.Kind.ROOM,
                "token_hash": hash_token(token),
                "created_at": now or timezone.now(),
                "created_by": actor,
            },
        )
    return feed_path(feed, token)


def revoke_calendar_feed(*, actor, staff: StaffMember | None = None, room: Room | None = None) -> bool:
    """Remove the feed: its address answers 404 from now on."""
    _check(actor, staff=staff, room=room)
    owner = {"staff": staff} if staff is not None else {"room": room}
    deleted, _ = CalendarFeed.objects.filter(**owner).delete()
    return bool(deleted)
