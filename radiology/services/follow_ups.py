"""Tracked follow-ups: every recommendation of a final report other than "none" is a promise
the department keeps track of until it is done or closed with a coded reason.

open ──book (our appointment or order; or a date and place elsewhere)──▶ booked ──done──▶ done
  └────────────── close (declined, done elsewhere, moved away, deceased) ──────────▶ closed
Due: the FollowUpInterval table's weeks after the signature (the radiologist's own interval for
a repeat ductogram or an MRI), on the clinic's wall clock. An open follow-up past its due time
escalates by the EscalationRule table (loop "follow_up": a call task at due + 7 days, a message to
her and a to-do to tell the referring physician at due + 21 days), planned when it opens
(radiology.services.loop_steps); booking, doing or closing it withdraws what is not reached.

The radiologist's FollowUpPlan stays her decision after the exam: a repeat ductogram she
arranges there opens an order, and that order books the open repeat-ductogram follow-up.
"""

from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import (
    FOLLOW_UP_KINDS,
    PERFORMED_STATES,
    Appointment,
    FollowUp,
    FollowUpInterval,
    Loop,
    LoopStep,
    Order,
    Recommendation,
    Report,
    StepKind,
)
from radiology.services import loop_steps
from scheduling.clinic_time import clinic_zone

St = FollowUp.State
REPORT_INTERVAL_KINDS = {Recommendation.REPEAT_DUCTOGRAM, Recommendation.MRI}
DEFAULT_WEEKS = 4
KIND_LABELS = dict(FOLLOW_UP_KINDS)  # if a manager deleted a row of the table


def _invalid(field: str, message: str) -> ServiceRefusal:
    return ServiceRefusal(message, code="invalid", fields={field: message})


def due_for(*, report: Report, signed_at: datetime) -> datetime:
    """The signature's local time, so many weeks later on the wall clock."""
    weeks = None
    if report.recommendation in REPORT_INTERVAL_KINDS:
        weeks = report.follow_up_interval_weeks
    if weeks is None:
        weeks = (
            FollowUpInterval.objects.filter(kind=report.recommendation).values_list("weeks", flat=True).first()
            or DEFAULT_WEEKS
        )
    # In the zone, adding weeks is wall-clock arithmetic: the same local time, DST or not.
    return (signed_at.astimezone(clinic_zone()) + timedelta(weeks=weeks)).astimezone(UTC)


def _message_for(follow_up: FollowUp, now, round_: int = 0):
    """The escalation's message to her; `round_` counts reopenings, so that a message planned
    again after a withdrawn one is a row of its own (idempotency keys are never reused)."""
    patient = follow_up.appointment.patient

    def make(step_kind, due):
        if step_kind != StepKind.PATIENT_LETTER:
            return None
        return loop_steps.patient_message(
            patient=patient,
            subject=follow_up.reference,
            kind="follow_up_overdue",
            due=due,
            now=now,
            key=f"{follow_up.reference}:{step_kind}:patient" + (f":r{round_}" if round_ else ""),
        )

    return make


def open_follow_up(*, report: Report, kind: str, now: datetime, actor=None) -> FollowUp:
    """Open one tracked follow-up and plan its escalation. A second open one of the same kind
    for the same exam is refused (and the database refuses it too)."""
    if kind not in KIND_LABELS:
        raise _invalid("kind", "Choose a follow-up kind other than “none”.")
    if not report.is_final:
        raise ServiceRefusal("A follow-up is tracked from a final report; this one is preliminary.", code="not_allowed")
    appointment = report.appointment
    message = (
        f"An open {KIND_LABELS[kind].lower()} follow-up already exists for this exam (appointment #{appointment.pk})."
    )
    with transaction.atomic():
        if FollowUp.objects.filter(appointment=appointment, kind=kind, state=St.OPEN).exists():
            raise ServiceRefusal(message, code="conflict", fields={"kind": message})
        try:
            with transaction.atomic():
                follow_up = FollowUp.objects.create(
                    appointment=appointment,
                    report=report,
                    kind=kind,
                    due_at=due_for(report=report, signed_at=report.signed_at or now),
                    created_at=now,
                )
        except IntegrityError:
            raise ServiceRefusal(message, code="conflict", fields={"kind": message}) from None
        loop_steps.log(
            follow_up=follow_up, action="opened", at=now, actor=actor, note=f"Due {_local(follow_up.due_at)}"
        )
        loop_steps.plan_steps(
            loop=Loop.FOLLOW_UP,
            anchor=follow_up.due_at,
            owner={"follow_up": follow_up},
            make_message=_message_for(follow_up, now),
            now=now,
        )
    return follow_up


def on_report_final(*, report: Report, now: datetime) -> FollowUp | None:
    """The report service calls this inside its transaction when a report is signed final:
    its recommendation, unless "none", becomes a tracked follow-up (once: signing is once)."""
    if report.recommendation == Recommendation.NONE:
        return None
    if FollowUp.objects.filter(report=report, kind=report.recommendation).exists():
        return None
    return open_follow_up(report=report, kind=report.recommendation, now=now)


def _locked(follow_up_id: int) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().select_related("appointment").filter(pk=follow_up_id).first()
    if follow_up is None:
        raise ServiceRefusal("No such follow-up.", code="not_found")
    return follow_up


def _end_escalation(follow_up: FollowUp, *, now, reason: str) -> None:
    loop_steps.withdraw_steps(
        owner={"follow_up": follow_up}, subject=follow_up.reference, now=now, reason=f"Withdrawn: {reason}"
    )


def _check_actor(actor) -> None:
    if actor is not None and not actor.has_perm("radiology.book_appointment"):
        raise ServiceRefusal("Your role does not allow working follow-ups.", code="forbidden")


def book_follow_up(
    *,
    follow_up_id: int,
    actor,
    appointment: Appointment | None = None,
    order: Order | None = None,
    elsewhere_on: date | None = None,
    elsewhere_place: str = "",
    now: datetime | None = None,
) -> FollowUp:
    """Booked here (our appointment or order, of the same patient) or elsewhere (a date and a
    place): the escalation not yet reached is withdrawn."""
    _check_actor(actor)
    now = now or timezone.now()
    elsewhere_place = elsewhere_place.strip()
    if appointment is None and order is None and (elsewhere_on is None or not elsewhere_place):
        raise _invalid("elsewhere_place", "Link our appointment or order, or give the date and place it is booked.")
    with transaction.atomic():
        follow_up = _locked(follow_up_id)
        if follow_up.state != St.OPEN:
            raise ServiceRefusal(
                f"This follow-up is {follow_up.get_state_display().lower()}, not open.", code="not_allowed"
            )
        patient_id = follow_up.appointment.patient_id
        for linked in (appointment, order):
            if linked is not None and linked.patient_id != patient_id:
                raise _invalid("appointment", "That booking is for another patient.")
        follow_up.state, follow_up.booked_at = St.BOOKED, now
        follow_up.booked_appointment, follow_up.booked_order = appointment, order
        follow_up.elsewhere_on, follow_up.elsewhere_place = elsewhere_on, elsewhere_place
        follow_up.save()
        where = (
            f"appointment #{appointment.pk}"
            if appointment
            else f"order {order.accession_number}"
            if order
            else f"{elsewhere_place} on {elsewhere_on:%d %b %Y}"
        )
        loop_steps.log(follow_up=follow_up, action="booked", at=now, actor=actor, note=f"Booked: {where}")
        _end_escalation(follow_up, now=now, reason="the follow-up is booked.")
    return follow_up


def record_done(
    *, follow_up_id: int, actor, appointment: Appointment | None = None, result_note: str = "", now=None
) -> FollowUp:
    """Done, with its evidence: our performed appointment, or a note of the result received."""
    _check_actor(actor)
    now = now or timezone.now()
    result_note = result_note.strip()
    if appointment is None and not result_note:
        raise _invalid("result_note", "Link the appointment it was done at, or note the result received.")
    if appointment is not None and appointment.status not in PERFORMED_STATES:
        raise _invalid("appointment", f"Appointment #{appointment.pk} has not been performed.")
    with transaction.atomic():
        follow_up = _locked(follow_up_id)
        if follow_up.state not in (St.OPEN, St.BOOKED):
            raise ServiceRefusal(
                f"This follow-up is already {follow_up.get_state_display().lower()}.", code="not_allowed"
            )
        follow_up.state, follow_up.done_at = St.DONE, now
        follow_up.done_appointment, follow_up.result_note = appointment, result_note
        follow_up.save()
        evidence = f"appointment #{appointment.pk}" if appointment else result_note
        loop_steps.log(follow_up=follow_up, action="done", at=now, actor=actor, note=f"Done: {evidence}")
        _end_escalation(follow_up, now=now, reason="the follow-up is done.")
    return follow_up


def close_follow_up(*, follow_up_id: int, actor, reason_code: str, note: str = "", now=None) -> FollowUp:
    """Closed without being done here: a coded reason is required (the database insists too)."""
    _check_actor(actor)
    now = now or timezone.now()
    if reason_code not in FollowUp.CloseReason.values:
        labels = ", ".join(label.lower() for label in FollowUp.CloseReason.labels)
        raise _invalid("reason_code", f"Say why it is closed: {labels}.")
    with transaction.atomic():
        follow_up = _locked(follow_up_id)
        if follow_up.state not in (St.OPEN, St.BOOKED):
            raise ServiceRefusal(
                f"This follow-up is already {follow_up.get_state_display().lower()}.", code="not_allowed"
            )
        follow_up.state, follow_up.closed_at = St.CLOSED, now
        follow_up.close_reason, follow_up.close_note = reason_code, note.strip()[:500]
        follow_up.save()
        label = FollowUp.CloseReason(reason_code).label
        loop_steps.log(follow_up=follow_up, action="closed", at=now, actor=actor, note=f"{label}. {note}".strip())
        _end_escalation(follow_up, now=now, reason="the follow-up is closed.")
    return follow_up


# --- hooks from the other services (inside their transactions) ---------------------------


def on_follow_up_order(*, plan, now) -> None:
    """The radiologist arranged a repeat ductogram (FollowUpPlan with its order): that order
    books the open repeat-ductogram follow-up of the same exam."""
    if plan.follow_up_order_id is None:
        return
    for follow_up in FollowUp.objects.filter(
        appointment_id=plan.appointment_id, kind=Recommendation.REPEAT_DUCTOGRAM, state=St.OPEN
    ):
        book_follow_up(follow_up_id=follow_up.pk, actor=None, order=plan.follow_up_order, now=now)


def on_appointment_performed(*, appointment: Appointment, now) -> None:
    """Our appointment (or one of the order) a follow-up was booked with was performed: done."""
    booked = FollowUp.objects.filter(state=St.BOOKED, booked_appointment=appointment) | FollowUp.objects.filter(
        state=St.BOOKED, booked_order_id=appointment.order_id
    )
    for follow_up in booked.distinct():
        record_done(follow_up_id=follow_up.pk, actor=None, appointment=appointment, now=now)


def on_booked_appointment_ended(*, appointment: Appointment, now) -> int:
    """The appointment a follow-up was booked with was cancelled, missed, did not proceed or
    was stopped: the follow-up is open again (she must not be lost because it once had a date),
    and its escalation steps not yet reached are planned again; those already past due are
    reached at the beat's next tick. Returns how many were reopened."""
    reopened = 0
    booked = FollowUp.objects.select_for_update().select_related("appointment__patient")
    for follow_up in booked.filter(state=St.BOOKED, booked_appointment=appointment):
        follow_up.state, follow_up.booked_appointment, follow_up.booked_at = St.OPEN, None, None
        follow_up.save(update_fields=["state", "booked_appointment", "booked_at"])
        loop_steps.log(
            follow_up=follow_up,
            action="reopened",
            at=now,
            note=f"Appointment #{appointment.pk} {appointment.get_status_display().lower()}: open again",
        )
        LoopStep.objects.filter(follow_up=follow_up, status=LoopStep.Status.WITHDRAWN).delete()
        round_ = follow_up.events.filter(action="reopened").count()
        loop_steps.plan_steps(
            loop=Loop.FOLLOW_UP,
            anchor=follow_up.due_at,
            owner={"follow_up": follow_up},
            make_message=_message_for(follow_up, now, round_),
            now=now,
        )
        reopened += 1
    return reopened


def on_patient_died(*, patient, now) -> int:
    """Her open and booked follow-ups close as "deceased": nothing more is sent or asked."""
    ids = FollowUp.objects.filter(appointment__patient=patient, state__in=[St.OPEN, St.BOOKED]).values_list(
        "pk", flat=True
    )
    for follow_up_id in list(ids):
        close_follow_up(follow_up_id=follow_up_id, actor=None, reason_code=FollowUp.CloseReason.DECEASED, now=now)
    return len(ids)


def message_skip_reason(message) -> str | None:
    """Re-checked at send time: the follow-up is still open and she is alive."""
    follow_up = (
        FollowUp.objects.filter(pk=int(message.subject.partition(":")[2]))
        .values("state", "appointment__patient__deceased")
        .first()
    )
    if follow_up is None:
        return "The follow-up no longer exists."
    if follow_up["appointment__patient__deceased"]:
        return "The patient has died."
    if follow_up["state"] != St.OPEN:
        return f"The follow-up is {St(follow_up['state']).label.lower()}."
    return None


def subject_link(subject: str) -> str | None:
    appointment_id = FollowUp.objects.filter(pk=int(subject.partition(":")[2])).values_list("appointment_id", flat=True)
    return Appointment(pk=appointment_id.first()).get_absolute_url() if appointment_id else None


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(clinic_zone()):%a %d %b %Y %H:%M}"
