"""HL7 SIU events to the EHR: which appointment change is which event, planned as outbox rows.

Called by the booking and workflow services inside their transaction (the appointment row
created or locked), so an event commits or rolls back with the change that caused it. Which
trigger event, SCH-6 reason and SCH-25 status each change is told as is the told table's
(services/told_table.py): booked S12; moved S13 and re-staffed S14 (told apart here, from what
the EHR last heard); cancelled and did not proceed S15 with the coded reason; no-show S26;
aborted S14 with filler status Dc and the abort reason; the rest plan nothing.
Nothing is planned while HL7_OUT_HOST/HL7_OUT_PORT are unset.

Each row:
- is rendered now (the message describes the appointment as the event left it) and carries
  its control id (MSH-10) in the payload, so a retry resends the same bytes and the receiver
  can recognise a duplicate;
- has the idempotency key siu:<appointment>:v<version>:<event> (the table's event name: an
  abort and a re-staffing are both S14): at most one row per event and appointment version,
  however often a plan is made;
- has the order key siu:<appointment>: the outbox claims a row only when every earlier row of
  that appointment is sent, failed, skipped or cancelled, so the EHR never hears of a
  cancellation before the booking;
- keeps in `meta` the time, room and people it announced, so a later reschedule can tell a
  move (S13) from a change of resources (S14).
"""

import hashlib
from datetime import UTC

from django.conf import settings
from django.urls import reverse

from notifications import services as outbox
from notifications.models import Message
from radiology.encoders.siu import build_siu
from radiology.models import Appointment
from radiology.services.told_table import EVENTS, Event, siu_reason

PREFIX = "siu"


def enabled() -> bool:
    return bool(settings.HL7_OUT_HOST and settings.HL7_OUT_PORT)


def subject_of(appointment_id: int) -> str:
    return f"{PREFIX}:{appointment_id}"


def control_id_for(idempotency_key: str) -> str:
    """MSH-10: 20 characters (the field's length in v2.5.1), unique because the key is, and the
    same on every attempt at the same event."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:20].upper()


def _snapshot(appointment: Appointment) -> dict:
    # In UTC: the same instant must compare equal whatever zone the datetime was given in.
    return {
        "start": appointment.start.astimezone(UTC).isoformat(),
        "end": appointment.end.astimezone(UTC).isoformat(),
        "room": appointment.room_id,
        "radiologist": appointment.radiologist_id,
        "technologist": appointment.technologist_id,
    }


def _loaded(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_related(
        "patient", "order", "procedure", "room", "radiologist__user", "technologist__user", "booked_by"
    ).get(pk=appointment.pk)


def _plan(appointment: Appointment, *, event: Event, actor, now) -> None:
    told = EVENTS[event]
    if told.siu is None or not enabled():
        return
    appointment = _loaded(appointment)
    key = f"{subject_of(appointment.pk)}:v{appointment.version}:{event}"
    control_id = control_id_for(key)
    payload = build_siu(
        appointment=appointment,
        trigger=told.siu,
        reason=siu_reason(told, appointment),
        filler_status=told.filler_status,
        control_id=control_id,
        actor=actor,
        now=now,
    )
    message = Message(
        subject=subject_of(appointment.pk),
        subject_version=appointment.version,
        audience=Message.Audience.SYSTEM,
        recipient=f"{settings.HL7_OUT_HOST}:{settings.HL7_OUT_PORT}",
        channel=Message.Channel.HL7,
        kind=f"siu_{told.siu.lower()}",
        context={"payload": payload, "control_id": control_id},
        meta=_snapshot(appointment),
        due_at=now,
        order_key=subject_of(appointment.pk),
        idempotency_key=key,
    )
    outbox.schedule_messages(messages=[message])


def on_booked(*, appointment, actor, now) -> None:
    _plan(appointment, event=Event.BOOKED, actor=actor, now=now)


def on_rescheduled(*, appointment, previous_start, actor, now) -> None:
    """Moved when the time changed, re-staffed when only the room or people changed, nothing
    when the appointment is as the EHR last heard it."""
    if not enabled():
        return
    last = (
        Message.objects.filter(subject=subject_of(appointment.pk), channel=Message.Channel.HL7)
        .exclude(status=Message.Status.CANCELLED)
        .order_by("-pk")
        .values_list("meta", flat=True)
        .first()
    )
    now_is = _snapshot(appointment)
    # Without an earlier message (HL7 was switched on after the booking) only the time is known.
    was = last or {**now_is, "start": previous_start.astimezone(UTC).isoformat(), "room": None}
    if (was["start"], was["end"]) != (now_is["start"], now_is["end"]):
        event = Event.MOVED
    elif was != now_is:
        event = Event.RESTAFFED
    else:
        return
    _plan(appointment, event=event, actor=actor, now=now)


def on_cancelled(*, appointment, actor, now) -> None:
    _plan(appointment, event=Event.CANCELLED, actor=actor, now=now)


def on_no_show(*, appointment, actor, now) -> None:
    _plan(appointment, event=Event.NO_SHOW, actor=actor, now=now)


def on_performed(*, appointment, actor, now) -> None:
    """The exam is done: no SIU (the order status says it)."""
    _plan(appointment, event=Event.PERFORMED, actor=actor, now=now)


def on_report(*, report, addendum=None, actor, now) -> None:
    """A report version was saved (preliminary, final) or an addendum signed: the EHR is to get
    its ORU^R01 (issue #19 part C plans it here; until then nothing is sent)."""


def on_ended_early(*, appointment, event: Event, actor, now) -> None:
    """Did not proceed or aborted, decided at the day list: told as the table says."""
    _plan(appointment, event=event, actor=actor, now=now)


def subject_link(subject: str) -> str | None:
    """The staff page about an SIU row's appointment (for /messages/problems/)."""
    return reverse("radiology:appointment_detail", args=[int(subject.partition(":")[2])])
