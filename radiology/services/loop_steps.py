"""The timed escalation steps of both loops (tracked follow-ups, rebooking after a missed visit).

A loop's steps are planned when it opens, from the EscalationRule table, as LoopStep rows
with their due time (wall clock: "7 days after at 09:00 local", right across DST). A step
the patient receives also gets its outbox row then, with the same due time: the outbox
delivers it exactly once, in SMS quiet hours deferred, and asks at send time whether it is
still wanted. The beat's tick (`reach_due_steps`) reaches each due step once (a conditional
update: a second tick, or a second beat, finds nothing) and logs it; a to-do step is then on
the schedulers' to-do. A loop that closes withdraws its planned steps and their messages.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications import services as outbox
from notifications.models import Message
from radiology.models import EscalationRule, LoopEvent, LoopStep, Patient, Rebooking, StepKind
from radiology.services import hl7_events
from radiology.services.reminder_timing import as_utc, plan_timing
from radiology.services.reminders import OPTED_OUT_NO_EMAIL, patient_address
from scheduling.clinic_time import clinic_zone

P = LoopStep.Status


def step_due_at(anchor: datetime, rule: EscalationRule) -> datetime:
    """`days_after` local days after the anchor's local date at the rule's local time (a time
    the spring-forward gap skips falls an hour later); no local time: elapsed days."""
    if rule.local_time is None:
        return as_utc(anchor) + timedelta(days=rule.days_after)
    zone = clinic_zone()
    day = anchor.astimezone(zone).date() + timedelta(days=rule.days_after)
    return datetime.combine(day, rule.local_time, tzinfo=zone).astimezone(as_utc(anchor).tzinfo)


def log(*, follow_up=None, rebooking=None, action: str, at, actor=None, note: str = "") -> LoopEvent:
    return LoopEvent.objects.create(
        follow_up=follow_up, rebooking=rebooking, action=action, at=at, actor=actor, note=note[:500]
    )


def patient_message(
    *, patient: Patient, subject: str, kind: str, due: datetime, now, key: str, context=None
) -> Message | None:
    """A message to her, or None when she cannot be written to (died, merged away, no address)."""
    if patient.deceased:
        return None
    channel, recipient, stopped = patient_address(patient)  # e-mail instead of texts after STOP
    sms = channel == Message.Channel.SMS
    if not recipient:
        return None
    due_at, expires_at, skip = plan_timing(due=due, useful_until=None, quiet=sms, hard_limit=None, now=now)
    skip = skip or (OPTED_OUT_NO_EMAIL if stopped else "")
    return Message(
        subject=subject,
        audience=Message.Audience.PATIENT,
        recipient=recipient,
        channel=channel,
        kind=kind,
        language=patient.language,
        context={
            "first_name": patient.given_name,
            "clinic_name": settings.CLINIC_NAME,
            "clinic_phone": settings.CLINIC_PHONE,
            "tz": settings.CLINIC_TIME_ZONE,
            **(context or {}),
        },
        due_at=due_at,
        expires_at=expires_at,
        quiet_hours=sms,
        status=Message.Status.SKIPPED if skip else Message.Status.SCHEDULED,
        last_error=skip,
        idempotency_key=key,
    )


def plan_steps(*, loop: str, anchor: datetime, owner: dict, make_message, now) -> list[LoopStep]:
    """Plan a loop's active steps (owner: {"follow_up": f} or {"rebooking": r}); make_message
    (step kind, due) returns the outbox row of a step she receives, or None."""
    steps, messages = [], []
    for rule in EscalationRule.objects.filter(loop=loop, active=True):
        due = step_due_at(anchor, rule)
        step = LoopStep(kind=rule.step, due_at=max(due, as_utc(now)) if rule.days_after == 0 else due, **owner)
        message = make_message(rule.step, step.due_at)
        if message is not None:
            step.message_key = message.idempotency_key
            messages.append(message)
        steps.append(step)
    LoopStep.objects.bulk_create(steps, ignore_conflicts=True)
    outbox.schedule_messages(messages=messages)
    return steps


def withdraw_steps(*, owner: dict, subject: str, now, reason: str) -> int:
    """The loop closed: planned steps are withdrawn, their messages not yet out too."""
    withdrawn = LoopStep.objects.filter(status=P.PLANNED, **owner).update(status=P.WITHDRAWN)
    outbox.withdraw_messages(subject=subject, now=now, reason=reason)
    return withdrawn


def reach_due_steps(*, now: datetime | None = None, limit: int = 500) -> int:
    """The beat's tick: each due planned step is reached once and logged; the follow-up and
    rebooking services react to the steps that change something (the referrer flag)."""
    now = now or timezone.now()
    reached = 0
    due = list(LoopStep.objects.filter(status=P.PLANNED, due_at__lte=now).order_by("due_at", "pk")[:limit])
    for step in due:
        with transaction.atomic():
            # Zero rows changed: another tick got it first, or its loop just closed.
            if not LoopStep.objects.filter(pk=step.pk, status=P.PLANNED).update(status=P.REACHED, reached_at=now):
                continue
            log(
                follow_up=step.follow_up,
                rebooking=step.rebooking,
                action=step.kind,
                at=now,
                note=f"Step reached (due {step.due_at.astimezone(clinic_zone()):%a %d %b %Y %H:%M})",
            )
            if step.kind == StepKind.REFERRER_FLAG:
                flag_to_referrer(rebooking_id=step.rebooking_id, now=now)
            reached += 1
    return reached


def handle_todo_step(*, step_id: int, actor, note: str = "", now=None) -> LoopStep:
    """A scheduler records a to-do step as done (the call made, the referrer told)."""
    from radiology.errors import ServiceRefusal

    if not actor.has_perm("radiology.book_appointment"):
        raise ServiceRefusal("Your role does not allow working the to-do list.", code="forbidden")
    now = now or timezone.now()
    with transaction.atomic():
        step = LoopStep.objects.select_for_update().filter(pk=step_id).first()
        if step is None or step.status != P.REACHED or step.handled_at is not None:
            raise ServiceRefusal("This task is not on the to-do list.", code="not_allowed")
        step.handled_at, step.handled_by, step.handled_note = now, actor, note.strip()[:500]
        step.save(update_fields=["handled_at", "handled_by", "handled_note"])
        log(
            follow_up=step.follow_up,
            rebooking=step.rebooking,
            action=f"{step.kind}_done",
            at=now,
            actor=actor,
            note=note,
        )
    return step


def flag_to_referrer(*, rebooking_id: int, now: datetime) -> bool:
    """The last step: nobody got her back. The flag is recorded on the rebooking and the EHR
    hears the order is on hold for the referrer (ORC-5 HD, docs/interfaces.md)."""
    flagged = Rebooking.objects.filter(pk=rebooking_id, state=Rebooking.State.WAITING).update(
        state=Rebooking.State.FLAGGED, flagged_at=now
    )
    if flagged:
        rebooking = Rebooking.objects.select_related("order").get(pk=rebooking_id)
        log(
            rebooking=rebooking,
            action="flagged_to_referrer",
            at=now,
            note=f"Not rebooked: order {rebooking.order.accession_number} flagged to the referring physician",
        )
        hl7_events.on_order_flagged_to_referrer(appointment=rebooking.missed_appointment, now=now)
    return bool(flagged)
