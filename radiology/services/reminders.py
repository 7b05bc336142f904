"""Reminder planning: which messages an appointment gets, when, and to whom.

Called by the booking and workflow services inside their transaction (the appointment row
locked), so the plan commits or rolls back with the change that caused it:
- on_booked(appointment=..., now=...)
- on_rescheduled(appointment=..., previous_start=..., now=...)  # appointment.version already bumped
- on_cancelled(appointment=..., now=...)
- on_restaffed(appointment=..., joined=..., left=..., number=..., now=...)  # staff only
- on_completed(appointment=..., now=...)
- on_letter_sent(letter=..., now=...)  # the result letter is ready behind her link

The rules (kinds, anchors, offsets) live in the procedure catalog (procedures.ReminderRule).
Every row's idempotency key is appointment + version + kind + audience (+ staff member): a
plan made twice is one plan, and a moved appointment's new plan never collides with the old.
"""

from datetime import time, timedelta

from django.conf import settings

from notifications import services as outbox
from notifications.models import Message
from notifications.opt_out import is_opted_out, known_opt_out
from procedures.models import ReminderRule
from procedures.reasons import CancelReason
from radiology.models import (
    FOLLOW_UP_PREFIX,
    Appointment,
    AppointmentStatus,
    Channel,
    FollowUp,
    StaffMember,
    appointment_reference,
)
from radiology.services.reminder_timing import (
    as_utc,
    plan_timing,
    rule_due_at,
    rule_hard_limit,
    rule_useful_until,
    wall_clock_due,
)

A = ReminderRule.Anchor
S = AppointmentStatus
M = Message.Status

# Delivery of these kinds moves the appointment forward (if the rule says it advances state).
ADVANCING_ACTIONS = {"prep": "send_prep", "no_expression": "send_no_expression_reminder"}
BEFORE_START_ANCHORS = (A.AT_BOOKING, A.ELAPSED_BEFORE_START, A.WALL_CLOCK)
# Every kind of message radiology plans, in words for staff pages.
MESSAGE_KIND_LABELS = {
    "prep": "Preparation instructions",
    "no_expression": "Reminder: do not express for 48 hours",
    "day_before": "Day-before reminder",
    "moved": "New time",
    "cancelled": "Cancellation",
    "follow_up": "Follow-up message",
    "follow_up_visit": "Follow-up visit reminder",
    "staff_change": "Staff notice of a change",
    "staff_digest": "Staff morning digest",
    "letter_ready": "Result letter ready",
    "follow_up_overdue": "Follow-up overdue: please call us",
    "rebook": "Missed appointment: choose a new time",
    "order_invitation": "Invitation to choose a time",
    "sms_confirmed": "Answer to a text: confirmed",
    "sms_another_time": "Answer to a text: another time (her link)",
    "sms_which": "Answer to a text: which appointment?",
    "sms_nothing_ahead": "Answer to a text: nothing ahead",
    "sms_stopped": "Answer to a text: texts stopped",
    "sms_started": "Answer to a text: texts again",
    "sms_help": "Answer to a text: the department's number",
    "sms_received": "Answer to a text: passed to the team",
    "sms_staff_reply": "Staff answer to a text",
}
# Messages about what comes after the exam: recording the outcome does not withdraw them.
AFTER_THE_EXAM_KINDS = {"letter_ready"}
# Staff hear about bookings, moves and cancellations this close to the start.
STAFF_NOTICE_WINDOW = timedelta(hours=48)


# --- building rows ----------------------------------------------------------------------


def patient_context(appointment: Appointment) -> dict:
    room = appointment.room
    return {
        "first_name": appointment.patient.given_name,
        "start_at": appointment.start.isoformat(),
        "tz": settings.CLINIC_TIME_ZONE,
        "place": room.location or room.name,
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
    }


# Planned for her texts when her number replied STOP and she has no e-mail: the to-do lists
# her to call instead (selectors/reach.py), and the row says why it did not go.
OPTED_OUT_NO_EMAIL = "Her number replied STOP and she has no e-mail: call her (on the to-do)."


def patient_address(patient) -> tuple[str, str, bool]:
    """(channel, recipient, stopped) for her messages: her chosen channel, except that a
    number that replied STOP gets no texts, so they go by e-mail if she has one; if she has
    not they stay texts with `stopped` true, to be skipped and listed for a call."""
    if patient.preferred_channel != Channel.SMS:
        return Message.Channel.EMAIL, patient.email, False
    number = str(patient.phone)
    # Loaded with her (as the booking reads her under its lock), or asked now.
    stopped = known_opt_out(patient)
    if stopped is None:
        stopped = is_opted_out(number)
    if stopped and patient.email:
        return Message.Channel.EMAIL, patient.email, False
    return Message.Channel.SMS, number, stopped


def _patient_message(
    appointment, *, kind, due, useful_until, now, meta=None, hard_limit="start", address=None
) -> Message:
    """One message to her; `address` is patient_address() when the caller plans several."""
    patient = appointment.patient
    channel, recipient, stopped = address or patient_address(patient)
    sms = channel == Message.Channel.SMS
    hard_limit = as_utc(appointment.start) if hard_limit == "start" else hard_limit
    due_at, expires_at, skip = plan_timing(
        due=due, useful_until=useful_until, quiet=sms, hard_limit=hard_limit, now=now
    )
    if stopped and not skip:
        skip = OPTED_OUT_NO_EMAIL
    return Message(
        subject=appointment.holder,
        subject_version=appointment.version,
        audience=Message.Audience.PATIENT,
        recipient=recipient,
        channel=channel,
        kind=kind,
        language=patient.language,
        context=patient_context(appointment),
        meta=meta or {},
        due_at=due_at,
        expires_at=expires_at,
        quiet_hours=sms,
        status=M.SKIPPED if skip else M.SCHEDULED,
        last_error=skip,
        idempotency_key=f"{appointment.holder}:v{appointment.version}:{kind}:patient",
    )


def _rule_messages(appointment: Appointment, *, anchors, now, skip_kinds=()) -> list[Message]:
    # The procedure's few rules: radiology.catalog_cache's copy when the booking has one.
    every = getattr(appointment.procedure, "catalog_rules", None)
    if every is None:
        every = ReminderRule.objects.filter(procedure_id=appointment.procedure_id)
    rules = [r for r in every if r.active and r.audience == ReminderRule.Audience.PATIENT and r.anchor in anchors]
    messages, address = [], None
    for rule in rules:
        if rule.kind in skip_kinds:
            continue
        address = address or patient_address(appointment.patient)  # one opt-out check for all of them
        action = ADVANCING_ACTIONS.get(rule.kind) if rule.advances_state else None
        messages.append(
            _patient_message(
                appointment,
                kind=rule.kind,
                due=rule_due_at(rule, appointment=appointment, now=now),
                useful_until=rule_useful_until(rule, appointment=appointment),
                now=now,
                meta={"advance": action} if action else {},
                hard_limit=rule_hard_limit(rule, appointment=appointment),
                address=address,
            )
        )
    return messages


def staff_address(member: StaffMember) -> tuple[str, str] | None:
    if member.user.email:
        return Message.Channel.EMAIL, member.user.email
    if member.phone:
        return Message.Channel.SMS, str(member.phone)
    return None


def _staff_messages(
    appointment: Appointment, *, change: str, now, previous_start=None, members=None, key=None
) -> list[Message]:
    """The assigned radiologist and technologist/nurse (or the `members` named) hear of
    changes inside the next 48 h."""
    nearest = as_utc(min(appointment.start, previous_start or appointment.start))
    if not (as_utc(now) - timedelta(hours=1) <= nearest <= as_utc(now) + STAFF_NOTICE_WINDOW):
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
    if members is None:
        members = [appointment.radiologist, appointment.technologist]
    for member in dict.fromkeys(members):
        address = staff_address(member)
        if address is None:
            continue
        channel, recipient = address
        messages.append(
            Message(
                subject=appointment.holder,
                subject_version=appointment.version,
                audience=Message.Audience.STAFF,
                recipient=recipient,
                channel=channel,
                kind="staff_change",
                context=context,
                due_at=now,
                idempotency_key=f"{appointment.holder}:v{appointment.version}:staff_{key or change}:{member.pk}",
            )
        )
    return messages


# --- the hooks --------------------------------------------------------------------------


def on_booked(*, appointment, now, created_now: bool = False) -> list[Message]:
    """Plan the patient's reminders (prep now, no-expression, day-before) and tell staff if soon.
    Returns the rows planned (a new appointment has no others). Planning again plans nothing
    more; `created_now` (the booking's own transaction made the appointment, so none of its
    rows can exist yet) spares the outbox looking."""
    messages = _rule_messages(appointment, anchors=BEFORE_START_ANCHORS, now=now)
    messages += _staff_messages(appointment, change="booked", now=now)
    outbox.schedule_messages(messages=messages, new_subject=created_now)
    return messages


def on_rescheduled(*, appointment, previous_start, now) -> None:
    """Withdraw everything not yet under way and plan again for the new time. What was already
    sent at booking (the prep instructions) is not sent again; timed reminders are."""
    subject = appointment.holder
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
    """Withdraw everything pending; tell the patient, and the staff if it was soon. A patient
    who has died is sent nothing (her family would read it)."""
    outbox.withdraw_messages(subject=appointment.holder, now=now, reason="Withdrawn: cancelled.")
    messages = []
    if appointment.cancel_reason_code != CancelReason.DECEASED:
        messages.append(
            _patient_message(appointment, kind="cancelled", due=now, useful_until=None, now=now, hard_limit=None)
        )
    messages += _staff_messages(appointment, change="cancelled", now=now)
    outbox.schedule_messages(messages=messages)


def on_ended_early(*, appointment, now) -> None:
    """Aborted or did not proceed: nothing meant for before the procedure is still wanted."""
    outbox.withdraw_messages(
        subject=appointment.holder,
        now=now,
        reason="Withdrawn: the procedure did not go ahead.",
        audience=Message.Audience.PATIENT,
    )


def on_completed(*, appointment, now) -> None:
    """Withdraw reminders meant for before the procedure; plan the follow-up message."""
    # The result letter's message stays: a report may be final before the outcome is recorded.
    outbox.withdraw_messages(
        subject=appointment.holder,
        now=now,
        reason="Withdrawn: the procedure is done.",
        audience=Message.Audience.PATIENT,
        kinds=[kind for kind in MESSAGE_KIND_LABELS if kind not in AFTER_THE_EXAM_KINDS],
    )
    outbox.schedule_messages(messages=_rule_messages(appointment, anchors=[A.AFTER_COMPLETION], now=now))


def on_contact_changed(*, patient, now) -> int:
    """Her messages not yet out follow her corrected number, address, channel and language,
    and her number's STOP or START (inbound SMS): e-mail while it is opted out, if she has one."""
    channel, recipient, _ = patient_address(patient)
    follow_up_subjects = [
        f"{FOLLOW_UP_PREFIX}:{pk}"
        for pk in FollowUp.objects.filter(appointment__patient=patient).values_list("pk", flat=True)
    ]
    return outbox.readdress_messages(
        subjects=[appointment_reference(pk) for pk in patient.appointments.values_list("pk", flat=True)]
        + follow_up_subjects,
        audience=Message.Audience.PATIENT,
        channel=channel,
        recipient=recipient,
        language=patient.language,
        now=now,
    )


def on_follow_up_planned(*, plan, now) -> None:
    """A booked follow-up gets its own reminder: the day before at the catalog's day-before
    time (17:00 local), or now if that has passed; useful until the visit."""
    if plan.scheduled_for is None or plan.kind == "none" or plan.follow_up_order_id:
        return  # nothing dated, or a repeat ductogram whose booking plans its own reminders
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
        hard_limit=as_utc(plan.scheduled_for),
    )
    message.context.update(start_at=plan.scheduled_for.isoformat(), visit=plan.get_kind_display())
    outbox.schedule_messages(messages=[message])


def on_letter_sent(*, letter, now) -> None:
    """Her result letter is ready behind her link: one message, now (SMS out of the quiet
    hours), saying only that a letter from the department is ready; the link is signed when
    it is sent. Planned once per letter."""
    appointment = letter.report.appointment
    message = _patient_message(appointment, kind="letter_ready", due=now, useful_until=None, now=now, hard_limit=None)
    message.idempotency_key = f"letter:{letter.pk}:letter_ready:patient"
    message.context = {key: message.context[key] for key in ("first_name", "clinic_name", "clinic_phone", "tz")}
    outbox.schedule_messages(messages=[message])


def on_restaffed(*, appointment, joined, left, number: int, now) -> None:
    """Other people at the same time (services/restaffing.py): the patient hears nothing (her
    time and place are as she was told, so her reminders stay as planned); who takes the
    appointment over and who is taken off it hear it when it is within 48 h. `number` counts
    the appointment's re-staffings, so a second one is planned as its own notice."""
    messages = _staff_messages(
        appointment, change="assigned to you", now=now, members=joined, key=f"restaffed{number}_joined"
    )
    messages += _staff_messages(
        appointment, change="no longer yours: reassigned", now=now, members=left, key=f"restaffed{number}_left"
    )
    outbox.schedule_messages(messages=messages)
