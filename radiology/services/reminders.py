"""Reminder planning: which messages an appointment gets, when, and to whom.

Called by the booking and workflow services inside their transaction (the appointment row
locked), so the plan commits or rolls back with the change that caused it:
- on_booked(appointment=..., now=...)
- on_rescheduled(appointment=..., previous_start=..., now=...)  # appointment.version already bumped
- on_cancelled(appointment=..., now=...)
- on_completed(appointment=..., now=...)

The rules (kinds, anchors, offsets) live in the procedure catalog (procedures.ReminderRule).
Every row's idempotency key is appointment + version + kind + audience (+ staff member): a
plan made twice is one plan, and a moved appointment's new plan never collides with the old.
"""

import contextlib
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.urls import reverse

from notifications import services as outbox
from notifications.models import Message
from notifications.quiet_hours import out_of_quiet_hours
from procedures.models import ReminderRule
from radiology.models import Appointment, AppointmentStatus, Channel, StaffMember, clinic_zone

A = ReminderRule.Anchor
S = AppointmentStatus
M = Message.Status

# Delivery of these kinds moves the appointment forward (if the rule says it advances state).
ADVANCING_ACTIONS = {"prep": "send_prep", "no_expression": "send_no_expression_reminder"}
BEFORE_START_ANCHORS = (A.AT_BOOKING, A.ELAPSED_BEFORE_START, A.WALL_CLOCK)
# Staff hear about bookings, moves and cancellations this close to the start.
STAFF_NOTICE_WINDOW = timedelta(hours=48)


def _utc(moment: datetime) -> datetime:
    """Arithmetic on a datetime in a zone is wall-clock arithmetic; in UTC it is elapsed time."""
    return moment.astimezone(UTC)


def subject_of(appointment_id: int) -> str:
    return f"appointment:{appointment_id}"


# --- due times --------------------------------------------------------------------------


def wall_clock_due(*, start: datetime, days_before: int, local_time) -> datetime:
    """`local_time` on the local date `days_before` days before the start's local date.
    A time that does not exist that day (the spring-forward gap) falls an hour later."""
    zone = clinic_zone()
    day = start.astimezone(zone).date() - timedelta(days=days_before)
    return datetime.combine(day, local_time, tzinfo=zone).astimezone(UTC)


def rule_due_at(rule: ReminderRule, *, appointment: Appointment, now: datetime) -> datetime:
    if rule.anchor == A.AT_BOOKING:
        return _utc(now) + timedelta(minutes=rule.offset_minutes)
    if rule.anchor == A.ELAPSED_BEFORE_START:
        return _utc(appointment.start) - timedelta(minutes=rule.offset_minutes)  # real hours, across DST
    if rule.anchor == A.WALL_CLOCK:
        return wall_clock_due(start=appointment.start, days_before=rule.days_before, local_time=rule.local_time)
    return _utc(appointment.completed_at or now) + timedelta(minutes=rule.offset_minutes)


def rule_useful_until(rule: ReminderRule, *, appointment: Appointment) -> datetime | None:
    if rule.anchor == A.AFTER_COMPLETION:
        return None
    if rule.send_late_until_minutes_before is not None:
        return _utc(appointment.start) - timedelta(minutes=rule.send_late_until_minutes_before)
    return _utc(appointment.start)


def _timing(*, due: datetime, useful_until: datetime | None, quiet: bool, hard_limit, now) -> tuple:
    """(due_at, expires_at, skip reason or "") for a message planned now.

    Past its moment: sent now if still useful, else skipped with the reason. SMS quiet
    hours defer (never drop): a deferred message stays useful until the appointment."""
    now = _utc(now)
    if due < now:
        if useful_until is not None and now >= useful_until:
            local = useful_until.astimezone(clinic_zone())
            return due, useful_until, f"Planned too late: useful only until {local:%a %d %b %H:%M}."
        due = now
    if quiet:
        deferred = out_of_quiet_hours(due)
        if deferred != due and hard_limit is not None and deferred >= hard_limit:
            return due, useful_until, "SMS quiet hours last until after the appointment."
        if deferred != due and useful_until is not None and deferred >= useful_until:
            useful_until = min(hard_limit, deferred + timedelta(hours=1)) if hard_limit else None
        due = deferred
    return due, useful_until, ""


# --- building rows ----------------------------------------------------------------------


def _patient_context(appointment: Appointment) -> dict:
    room = appointment.room
    return {
        "first_name": appointment.patient.given_name,
        "start_at": appointment.start.isoformat(),
        "tz": settings.CLINIC_TIME_ZONE,
        "place": room.location or room.name,
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
    }


def _patient_message(appointment, *, kind, due, useful_until, now, meta=None, hard_limit="start") -> Message:
    patient = appointment.patient
    sms = patient.preferred_channel == Channel.SMS
    hard_limit = _utc(appointment.start) if hard_limit == "start" else hard_limit
    due_at, expires_at, skip = _timing(due=due, useful_until=useful_until, quiet=sms, hard_limit=hard_limit, now=now)
    return Message(
        subject=subject_of(appointment.pk),
        subject_version=appointment.version,
        audience=Message.Audience.PATIENT,
        recipient=str(patient.phone) if sms else patient.email,
        channel=Message.Channel.SMS if sms else Message.Channel.EMAIL,
        kind=kind,
        language=patient.language,
        context=_patient_context(appointment),
        meta=meta or {},
        due_at=due_at,
        expires_at=expires_at,
        quiet_hours=sms,
        status=M.SKIPPED if skip else M.SCHEDULED,
        last_error=skip,
        idempotency_key=f"{subject_of(appointment.pk)}:v{appointment.version}:{kind}:patient",
    )


def _rule_messages(appointment: Appointment, *, anchors, now, skip_kinds=()) -> list[Message]:
    rules = ReminderRule.objects.filter(
        procedure_id=appointment.procedure_id, active=True, audience=ReminderRule.Audience.PATIENT, anchor__in=anchors
    )
    messages = []
    for rule in rules:
        if rule.kind in skip_kinds:
            continue
        action = ADVANCING_ACTIONS.get(rule.kind) if rule.advances_state else None
        messages.append(
            _patient_message(
                appointment,
                kind=rule.kind,
                due=rule_due_at(rule, appointment=appointment, now=now),
                useful_until=rule_useful_until(rule, appointment=appointment),
                now=now,
                meta={"advance": action} if action else {},
                hard_limit=None if rule.anchor == A.AFTER_COMPLETION else "start",
            )
        )
    return messages


def _staff_address(member: StaffMember) -> tuple[str, str] | None:
    if member.user.email:
        return Message.Channel.EMAIL, member.user.email
    if member.phone:
        return Message.Channel.SMS, str(member.phone)
    return None


def _staff_messages(appointment: Appointment, *, change: str, now, previous_start=None) -> list[Message]:
    """The assigned radiologist and technologist/nurse hear of changes inside the next 48 h."""
    nearest = _utc(min(appointment.start, previous_start or appointment.start))
    if not (_utc(now) - timedelta(hours=1) <= nearest <= _utc(now) + STAFF_NOTICE_WINDOW):
        return []
    context = {
        "appointment_id": appointment.pk,
        "change": change,
        "start_at": appointment.start.isoformat(),
        "previous_start_at": previous_start.isoformat() if previous_start else "",
        "room": appointment.room.name,
        "tz": settings.CLINIC_TIME_ZONE,
        "clinic_name": settings.CLINIC_NAME,
        "link": settings.SITE_URL.rstrip("/") + appointment.get_absolute_url(),
    }
    messages = []
    for member in dict.fromkeys([appointment.radiologist, appointment.technologist]):
        address = _staff_address(member)
        if address is None:
            continue
        channel, recipient = address
        messages.append(
            Message(
                subject=subject_of(appointment.pk),
                subject_version=appointment.version,
                audience=Message.Audience.STAFF,
                recipient=recipient,
                channel=channel,
                kind="staff_change",
                context=context,
                due_at=now,
                idempotency_key=f"{subject_of(appointment.pk)}:v{appointment.version}:staff_{change}:{member.pk}",
            )
        )
    return messages


# --- the hooks --------------------------------------------------------------------------


def on_booked(*, appointment, now) -> None:
    """Plan the patient's reminders (prep now, no-expression, day-before) and tell staff if soon."""
    messages = _rule_messages(appointment, anchors=BEFORE_START_ANCHORS, now=now)
    messages += _staff_messages(appointment, change="booked", now=now)
    outbox.schedule_messages(messages=messages)


def on_rescheduled(*, appointment, previous_start, now) -> None:
    """Withdraw everything not yet under way and plan again for the new time. What was already
    sent at booking (the prep instructions) is not sent again; timed reminders are."""
    subject = subject_of(appointment.pk)
    outbox.withdraw_messages(subject=subject, now=now, reason="Withdrawn: the appointment moved.")
    already_out = set(
        Message.objects.filter(
            subject=subject, audience=Message.Audience.PATIENT, status__in=[M.SENT, M.SENDING, M.UNKNOWN]
        ).values_list("kind", flat=True)
    )
    at_booking_kinds = set(
        ReminderRule.objects.filter(procedure_id=appointment.procedure_id, anchor=A.AT_BOOKING).values_list(
            "kind", flat=True
        )
    )
    messages = _rule_messages(
        appointment, anchors=BEFORE_START_ANCHORS, now=now, skip_kinds=already_out & at_booking_kinds
    )
    messages.append(_patient_message(appointment, kind="moved", due=now, useful_until=appointment.start, now=now))
    messages += _staff_messages(appointment, change="moved", now=now, previous_start=previous_start)
    outbox.schedule_messages(messages=messages)


def on_cancelled(*, appointment, now) -> None:
    """Withdraw everything pending; tell the patient, and the staff if it was soon."""
    outbox.withdraw_messages(subject=subject_of(appointment.pk), now=now, reason="Withdrawn: cancelled.")
    messages = [_patient_message(appointment, kind="cancelled", due=now, useful_until=None, now=now, hard_limit=None)]
    messages += _staff_messages(appointment, change="cancelled", now=now)
    outbox.schedule_messages(messages=messages)


def on_completed(*, appointment, now) -> None:
    """Withdraw reminders meant for before the procedure; plan the follow-up message."""
    outbox.withdraw_messages(
        subject=subject_of(appointment.pk),
        now=now,
        reason="Withdrawn: the procedure is done.",
        audience=Message.Audience.PATIENT,
    )
    outbox.schedule_messages(messages=_rule_messages(appointment, anchors=[A.AFTER_COMPLETION], now=now))


def on_follow_up_planned(*, plan, now) -> None:
    """A booked follow-up gets its own reminder: the day before at the catalog's day-before
    time (17:00 local), or now if that has passed; useful until the visit."""
    if plan.scheduled_for is None or plan.kind == "none":
        return
    appointment = plan.appointment
    rule = ReminderRule.objects.filter(procedure_id=appointment.procedure_id, kind="day_before").first()
    local_time = rule.local_time if rule and rule.local_time else time(17)
    due = max(wall_clock_due(start=plan.scheduled_for, days_before=1, local_time=local_time), now)
    message = _patient_message(
        appointment,
        kind="follow_up_visit",
        due=due,
        useful_until=plan.scheduled_for,
        now=now,
        hard_limit=_utc(plan.scheduled_for),
    )
    message.context.update(start_at=plan.scheduled_for.isoformat(), visit=plan.get_kind_display())
    outbox.schedule_messages(messages=[message])


# --- selectors --------------------------------------------------------------------------


def appointment_messages(appointment) -> list[Message]:
    """Every planned and sent message of the appointment, oldest due first (for its page)."""
    return list(Message.objects.filter(subject=subject_of(appointment.pk)).order_by("due_at", "pk"))


def reminders_for(appointment) -> list[dict]:
    """The API's and the confirmation page's view of the plan."""
    return [
        {"kind": m.kind, "audience": m.audience, "channel": m.channel, "due_at": m.due_at, "status": m.status}
        for m in appointment_messages(appointment)
    ]


def latest_readiness(appointment):
    """The patient's latest readiness answers, or None."""
    return appointment.readiness_responses.order_by("-answered_at").first()


# --- what the outbox asks at send time (registered in RadiologyConfig.ready) ------------

PRE_PROCEDURE_KINDS = {"prep", "no_expression", "day_before", "moved"}


def _appointment_id(message) -> int:
    return int(message.subject.partition(":")[2])


def message_context(message) -> dict:
    """A freshly signed patient link, valid from the moment of sending."""
    if message.audience != Message.Audience.PATIENT:
        return {}
    from radiology.portal.links import patient_link

    return {"link": patient_link(_appointment_id(message))}


def message_skip_reason(message) -> str | None:
    """Re-checked just before sending: is this reminder still wanted?"""
    if message.kind not in PRE_PROCEDURE_KINDS and message.kind != "follow_up":
        return None
    current = Appointment.objects.filter(pk=_appointment_id(message)).values("status", "version").first()
    if current is None:
        return "The appointment no longer exists."
    if message.kind == "follow_up":
        if current["status"] not in (S.COMPLETED, S.FOLLOW_UP):
            return "The procedure was not completed."
        return None
    if current["status"] not in (S.BOOKED, S.PREP_SENT, S.REMINDED):
        return f"The appointment is {S(current['status']).label.lower()}."
    if current["version"] != message.subject_version:
        return "Planned for an earlier time of the appointment."
    return None


def message_delivered(message) -> None:
    """Prep and no-expression deliveries move the state forward, never past a later state."""
    from radiology.errors import AppointmentActionError
    from radiology.services.transitions import perform_transition

    action = message.meta.get("advance")
    if not action:
        return
    appointment = Appointment.objects.filter(pk=_appointment_id(message)).values("status", "version").first()
    allowed = {"send_prep": {S.BOOKED}, "send_no_expression_reminder": {S.BOOKED, S.PREP_SENT}}[action]
    if appointment is None or appointment["status"] not in allowed:
        return
    if appointment["version"] != message.subject_version:
        return
    # Moved on meanwhile (checked in, cancelled): a reminder never pulls it back.
    with contextlib.suppress(AppointmentActionError):
        perform_transition(appointment_id=_appointment_id(message), action=action, actor=None, now=message.sent_at)


def subject_link(subject: str) -> str | None:
    return reverse("radiology:appointment_detail", args=[int(subject.partition(":")[2])])


# --- the technologists' and nurses' morning digest ----------------------------------------

DIGEST_USEFUL_HOURS = 5  # a digest not out by noon is skipped: the day is under way


def _digest_time():
    hours, minutes = settings.STAFF_DIGEST_TIME.split(":")
    return datetime.min.time().replace(hour=int(hours), minute=int(minutes))


def plan_staff_digests(*, now, days_ahead: int = 1) -> int:
    """Plan, as rows, the 07:00 digest of each working day (today and the next) for every
    technologist and nurse who works that day. Idempotent: one row per day and person."""
    zone = clinic_zone()
    today = now.astimezone(zone).date()
    messages = []
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        due = datetime.combine(day, _digest_time(), tzinfo=zone).astimezone(UTC)
        useful_until = due + timedelta(hours=DIGEST_USEFUL_HOURS)
        staff = (
            StaffMember.objects.filter(
                role__in=StaffMember.ASSISTING_ROLES,
                user__is_active=True,
                resource__working_hours__weekday=day.weekday(),
            )
            .exclude(resource__unavailabilities__start__lte=due, resource__unavailabilities__end__gt=due)
            .select_related("user")
            .distinct()
        )
        for member in staff:
            address = _staff_address(member)
            if address is None:
                continue
            late = now >= useful_until
            messages.append(
                Message(
                    subject=f"digest:{day.isoformat()}",
                    audience=Message.Audience.STAFF,
                    recipient=address[1],
                    channel=address[0],
                    kind="staff_digest",
                    context={
                        "day_at": due.isoformat(),
                        "tz": settings.CLINIC_TIME_ZONE,
                        "clinic_name": settings.CLINIC_NAME,
                    },
                    due_at=max(due, now) if not late else due,
                    expires_at=useful_until,
                    status=M.SKIPPED if late else M.SCHEDULED,
                    last_error="Planned after the morning it was for." if late else "",
                    idempotency_key=f"digest:{day.isoformat()}:{member.pk}",
                )
            )
    outbox.schedule_messages(messages=messages)
    return len(messages)


def digest_context(message) -> dict:
    """The day's list as it stands when the digest is sent: times, rooms, states; no names."""
    from radiology import selectors

    day = datetime.fromisoformat(message.subject.partition(":")[2]).date()
    start, end = selectors.local_day_bounds(day)
    appointments = (
        Appointment.objects.filter(start__gte=start, start__lt=end)
        .exclude(status=S.CANCELLED)
        .select_related("room")
        .order_by("start")
    )
    items = [
        {"time": f"{a.local_start:%H:%M}", "room": a.room.name, "status": a.get_status_display()} for a in appointments
    ]
    try:
        path = reverse("radiology:day_list")
    except Exception:
        path = reverse("radiology:appointment_list")
    return {"items": items, "count": len(items), "link": settings.SITE_URL.rstrip("/") + path}
