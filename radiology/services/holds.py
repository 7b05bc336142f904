"""Holding a proposed time for a client of the FHIR door ($hold, issue 21 D).

A hold is the scheduling engine's expiring reservation (as for earlier-slot offers), held
in the name of the client that asked: holder "fhirhold:<user id>:<hold id>". While it lives
nobody else can book the time (the exclusion constraint); booking it through `book_held` by
the same client lets it go and books in one transaction, through the booking service; by
anyone else it is a conflict. An expired hold is free time at once and the dispatcher's
sweep (offers.advance_due_rounds) releases it.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, Room, StaffMember
from radiology.services.booking import BOOKING, book_appointment, check_request
from radiology.services.slots import fit_team
from radiology.services.transitions import check_permission
from scheduling import services as calendar
from scheduling.models import Reservation

PREFIX = "fhirhold"


@dataclass(frozen=True)
class Hold:
    hold_id: str
    start: datetime
    end: datetime
    expires_at: datetime
    room: Room
    radiologist: StaffMember
    technologist: StaffMember


def _holder(actor, hold_id: str) -> str:
    return f"{PREFIX}:{actor.pk}:{hold_id}"


def hold_time(
    *, procedure, start, duration_minutes, actor, room=None, radiologist=None, technologist=None, now=None
) -> Hold:
    """Hold a free start for `actor` for FHIR_HOLD_MINUTES (the rules of a booking's request
    apply, so a hold is never something that could not be booked; short notice is for $book)."""
    check_permission(actor, BOOKING)
    now = now or timezone.now()
    check_request(
        procedure=procedure,
        start=start,
        duration_minutes=duration_minutes,
        room=room,
        radiologist=radiologist,
        technologist=technologist,
        override="",
        now=now,
    )
    hold_id = uuid.uuid4().hex
    expires = now + timedelta(minutes=settings.FHIR_HOLD_MINUTES)
    with transaction.atomic():
        try:
            team = fit_team(
                procedure, start, duration_minutes, room=room, radiologist=radiologist, technologist=technologist
            )
            calendar.reserve(holds=team.holds, holder=_holder(actor, hold_id), expires_at=expires, now=now)
        except calendar.SlotTaken:
            raise ServiceRefusal("That time was just taken.", code="conflict") from None
    option = team.option
    return Hold(hold_id, option.start, option.end, expires, option.room, option.radiologist, option.technologist)


def _live_rows(hold_id: str, now):
    return Reservation.objects.filter(holder__endswith=f":{hold_id}", holder__startswith=f"{PREFIX}:", active=True)


def book_held(*, hold_id: str, actor, now=None, **arguments) -> Appointment:
    """Book a held proposal: only its holder, only while it lives, only the time it holds."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(_live_rows(hold_id, now).select_for_update().select_related("resource"))
        if not rows or any(r.expires_at <= now for r in rows):
            raise ServiceRefusal(
                "This hold has expired or does not exist: find and hold the time again.", code="conflict"
            )
        if rows[0].holder != _holder(actor, hold_id):
            raise ServiceRefusal("This time is held for another client.", code="conflict")
        if rows[0].start != arguments["start"]:
            raise ServiceRefusal(
                "The hold is for another time.", code="invalid", fields={"start": "Not the held time."}
            )
        resources = {r.resource_id for r in rows}
        team = {
            "room": Room.objects.filter(resource_id__in=resources).first(),
            **{
                ("radiologist" if s.role == StaffMember.Role.RADIOLOGIST else "technologist"): s
                for s in StaffMember.objects.filter(resource_id__in=resources)
            },
        }
        calendar.release(holder=rows[0].holder, now=now)
        return book_appointment(actor=actor, now=now, **{**arguments, **team})
