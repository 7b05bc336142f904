"""The procedure day: check in with a checklist, start, complete with an outcome, abort,
did not proceed, and the radiologist's follow-up decision.

Each service is the one way to take its action, whatever the door (page, API, modality,
demo): it requires the action's inputs (radiology.services.action_table) and does the whole
change in one transaction: the record it writes and the state change commit together, or
neither does. Endings that leave time unused release the room and people at once."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from procedures.reasons import AbortReason, NotProceededReason
from radiology.errors import ServiceRefusal
from radiology.models import (
    Appointment,
    AppointmentStatus,
    CheckInChecklist,
    FollowUpPlan,
    PerformedProcedureStep,
    ProcedureOutcome,
    StaffMember,
)
from radiology.services import (
    check_in_questions,
    follow_ups,
    hl7_events,
    offer_rounds,
    order_opening,
    rebooking,
    reminders,
)
from radiology.services.booking import log_unchanged_state
from radiology.services.cancellation import coded_reason
from radiology.services.told_table import Event
from radiology.services.transitions import check_permission, get_action, lock_appointment, perform_transition
from scheduling.services import release


@dataclass(frozen=True)
class Checklist:
    identity_confirmed: bool
    contrast_allergy_asked: bool
    contrast_allergy_reported: bool
    discharge_present_today: bool
    not_expressed_last_48h: bool
    consent_signed: bool
    side_confirmed: bool  # the order's side, confirmed with the patient (wrong-side prevention)
    # Asked when the order, her age or her sex do not settle them (services.check_in_questions):
    # a CheckInChecklist.Pregnancy value or "" (not asked); True/False or None (not asked).
    pregnancy: str = ""
    breastfeeding: bool | None = None
    # Past a positive answer: the radiologist who decided to go ahead, and why.
    cleared_by: StaffMember | None = None
    clearance_reason: str = ""


# The checklist's confirmations, stored as given (the questions are resolved first).
CONFIRMATIONS = (
    "identity_confirmed",
    "contrast_allergy_asked",
    "contrast_allergy_reported",
    "discharge_present_today",
    "not_expressed_last_48h",
    "consent_signed",
    "side_confirmed",
)


def _invalid(field: str, message: str) -> ServiceRefusal:
    return ServiceRefusal(message, code="invalid", fields={field: message})


def check_in_patient(*, appointment_id: int, actor, checklist: Checklist, now: datetime | None = None):
    """Check in after the technologist/nurse confirmed identity, allergy, discharge,
    no expression in 48 h, consent, and pregnancy and breastfeeding where they are asked.
    No discharge today, or discharge expressed within 48 h (it may not show, and the duct is
    found by its discharge): check-in is refused and the way out is "did not proceed" with
    that reason, or a new time. Pregnant, possibly pregnant or breastfeeding: refused unless
    a radiologist decided to go ahead (named, with the reason); otherwise "did not proceed"."""
    check_permission(actor, get_action("check_in"))
    now = now or timezone.now()
    booked = Appointment.objects.select_related("patient", "order").filter(pk=appointment_id).first()
    if booked is None:
        raise ServiceRefusal("That appointment does not exist.", code="not_found")
    answers = check_in_questions.resolve(
        booked, pregnancy=checklist.pregnancy, breastfeeding=checklist.breastfeeding, now=now
    )
    # Every problem at once: the nurse fixes the form in one pass, not one refusal at a time.
    problems = dict(answers.missing)
    if not checklist.identity_confirmed:
        problems["identity_confirmed"] = "Confirm the patient's name and date of birth first."
    if not checklist.contrast_allergy_asked:
        problems["contrast_allergy_asked"] = "Ask about contrast allergy before checking in."
    if not checklist.consent_signed:
        problems["consent_signed"] = "The consent form must be signed before check-in."
    if not checklist.side_confirmed:
        problems["side_confirmed"] = "Confirm with the patient which breast is examined before check-in."
    if not checklist.discharge_present_today:
        problems["discharge_present_today"] = "No discharge today."
    if not checklist.not_expressed_last_48h:
        problems["not_expressed_last_48h"] = "Expressed within the last 48 hours."
    clearance = check_in_questions.clearance_problems(
        answers, cleared_by=checklist.cleared_by, reason=checklist.clearance_reason
    )
    problems.update(clearance)
    if problems:
        message = " ".join(problems.values())
        if set(clearance) & {"pregnancy", "breastfeeding"}:
            message = check_in_questions.stop_message(clearance)
        elif "discharge_present_today" in problems:
            message = (
                "No discharge today: the duct cannot be found. Record “did not proceed: no discharge today” "
                "(the patient goes on the schedulers' list to rebook) or reschedule."
            )
        elif "not_expressed_last_48h" in problems:
            message = (
                "Expressed within the last 48 hours: the discharge may not show, and the duct is found by it. "
                "Record “did not proceed: expressed within 48 hours” (the patient goes on the schedulers' list "
                "to rebook) or reschedule."
            )
        raise ServiceRefusal(message, code="invalid", fields=problems)
    cleared = answers.positive and checklist.cleared_by
    note = "Checklist confirmed" + ("; reports contrast allergy" if checklist.contrast_allergy_reported else "")
    if cleared:
        note += f"; {' and '.join(answers.positive)}: {checklist.cleared_by.name} decided to go ahead"
    with transaction.atomic():
        appointment = perform_transition(
            appointment_id=appointment_id, action="check_in", actor=actor, note=note, now=now, fields={"at": now}
        )
        confirmed = {name: getattr(checklist, name) for name in CONFIRMATIONS}
        CheckInChecklist.objects.create(
            appointment=appointment,
            **confirmed,
            pregnancy=answers.pregnancy,
            pregnancy_settled_by=answers.pregnancy_settled_by,
            breastfeeding=answers.breastfeeding,
            breastfeeding_settled_by=answers.breastfeeding_settled_by,
            # A decision is recorded only where one was needed.
            cleared_by=checklist.cleared_by if cleared else None,
            clearance_reason=checklist.clearance_reason.strip() if cleared else "",
            completed_by=actor,
            completed_at=now,
        )
    return appointment


def start_procedure(
    *,
    appointment_id: int,
    actor,
    radiologist: StaffMember | None = None,
    technologist: StaffMember | None = None,
    now: datetime | None = None,
):
    """Start, recording who performs: the booked people unless others are named."""
    now = now or timezone.now()
    if radiologist is not None and radiologist.role != StaffMember.Role.RADIOLOGIST:
        raise _invalid("radiologist", f"{radiologist.name} is not a radiologist.")
    if technologist is not None and technologist.role not in StaffMember.ASSISTING_ROLES:
        raise _invalid("technologist", f"{technologist.name} is not a technologist or nurse.")
    with transaction.atomic():
        booked = lock_appointment(appointment_id)
        radiologist = radiologist or booked.radiologist
        technologist = technologist or booked.technologist
        appointment = perform_transition(
            appointment_id=appointment_id,
            action="start",
            actor=actor,
            note=f"Performed by {radiologist.name} with {technologist.name}",
            now=now,
            fields={"at": now},
        )
        if (appointment.radiologist_id, appointment.technologist_id) != (radiologist.pk, technologist.pk):
            type(appointment).objects.filter(pk=appointment.pk).update(
                radiologist=radiologist, technologist=technologist
            )
            appointment.refresh_from_db()
        hl7_events.on_started(appointment=appointment, actor=actor, now=now)
    return appointment


def record_exam_done(*, appointment_id: int, actor, now: datetime | None = None):
    """The exam is performed (the modality said COMPLETED, or the technologist on the day
    list): the room and people are free at once and the EHR hears it; recording the outcome
    stays a task on the technologist's and radiologist's lists until complete_procedure."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = perform_transition(
            appointment_id=appointment_id, action="exam_done", actor=actor, now=now, fields={"at": now}
        )
        release(holder=appointment.holder, now=now)
        hl7_events.on_performed(appointment=appointment, actor=actor, now=now)
        follow_ups.on_appointment_performed(appointment=appointment, now=now)
    return appointment


def complete_procedure(
    *,
    appointment_id: int,
    actor,
    ducts: str,
    contrast_volume_ml: Decimal,
    complications: list[str],
    complication_note: str = "",
    findings: str = "",
    impression: str = "",
    note: str = "",
    now: datetime | None = None,
):
    """Record the outcome of a performed exam: 19030 plus 77053 (one duct) or 77054 (several),
    the contrast volume and complications; plans the follow-up message. Recorded straight from
    the room, the exam is performed at the same moment (the room is freed, the EHR told)."""
    check_permission(actor, get_action("complete"))
    now = now or timezone.now()
    _check_outcome(
        ducts=ducts,
        contrast_volume_ml=contrast_volume_ml,
        complications=complications,
        complication_note=complication_note,
    )
    with transaction.atomic():
        was_performed = lock_appointment(appointment_id).status == AppointmentStatus.PERFORMED
        appointment = perform_transition(
            appointment_id=appointment_id, action="complete", actor=actor, now=now, fields={"at": now}
        )
        if not was_performed:  # straight from the room: performed now, as "exam done" would say
            release(holder=appointment.holder, now=now)
            hl7_events.on_performed(appointment=appointment, actor=actor, now=now)
            follow_ups.on_appointment_performed(appointment=appointment, now=now)
        procedure = appointment.procedure
        outcome = ProcedureOutcome.objects.create(
            appointment=appointment,
            ducts=ducts,
            injection_cpt=procedure.injection_cpt,
            imaging_cpt=procedure.imaging_cpt_single if ducts == "single" else procedure.imaging_cpt_multiple,
            contrast_volume_ml=contrast_volume_ml,
            complications=complications,
            complication_note=complication_note.strip(),
            findings=findings.strip(),
            impression=impression.strip(),
            note=note.strip(),
            performing_radiologist=appointment.radiologist,
            performing_technologist=appointment.technologist,
            recorded_by=actor,
            recorded_at=now,
        )
        reminders.on_completed(appointment=appointment, now=now)
        # Whichever page recorded it, no modality step waits for this outcome any more.
        PerformedProcedureStep.objects.filter(
            appointment=appointment, attention=PerformedProcedureStep.Attention.OUTCOME_NEEDED
        ).update(attention=PerformedProcedureStep.Attention.NONE, attention_note="", updated_at=now)
        hl7_events.on_outcome_recorded(appointment=appointment, outcome=outcome, actor=actor, now=now)
    return appointment


def _check_outcome(*, ducts, contrast_volume_ml, complications, complication_note) -> None:
    """The outcome's input rules, every problem at once (as at check-in)."""
    codes = set(ProcedureOutcome.Complication.values)
    problems = {}
    if not complications or not set(complications) <= codes:
        problems["complications"] = "Choose the complications from the list, or “None”."
    elif "none" in complications and len(complications) > 1:
        problems["complications"] = "“None” cannot go with other complications: untick one."
    if "other" in complications and not complication_note.strip():
        problems["complication_note"] = "Describe the other complication."
    if ducts not in ProcedureOutcome.Ducts.values:
        problems["ducts"] = "Say whether one duct or several were studied."
    try:
        plausible = Decimal("0") < Decimal(contrast_volume_ml) <= Decimal("10")
    except (ArithmeticError, TypeError, ValueError):
        plausible = False
    if not plausible:
        problems["contrast_volume_ml"] = "Contrast volume is between 0.1 and 10 mL."
    if problems:
        raise ServiceRefusal(" ".join(problems.values()), code="invalid", fields=problems)


def correct_outcome(
    *,
    appointment_id: int,
    actor,
    ducts: str,
    contrast_volume_ml: Decimal,
    complications: list[str],
    reason: str,
    complication_note: str = "",
    now: datetime | None = None,
):
    """Correct the recorded outcome of an exam (the ducts, the contrast volume, the
    complications), with the reason, logged on the appointment. When the codes change (one
    duct or several: 77053 or 77054) the EHR gets a credit of the codes charged before and the
    charge of the new ones; a correction that changes nothing is refused."""
    check_permission(actor, get_action("complete"))
    now = now or timezone.now()
    _check_outcome(
        ducts=ducts,
        contrast_volume_ml=contrast_volume_ml,
        complications=complications,
        complication_note=complication_note,
    )
    if not reason.strip():
        raise _invalid("reason", "Say why the outcome is corrected.")
    with transaction.atomic():
        appointment = lock_appointment(appointment_id)
        try:
            outcome = ProcedureOutcome.objects.select_for_update().get(appointment=appointment)
        except ProcedureOutcome.DoesNotExist:
            raise ServiceRefusal(
                "No outcome is recorded for this exam yet: record it first.", code="not_allowed"
            ) from None
        was = (outcome.ducts, outcome.contrast_volume_ml, sorted(outcome.complications), outcome.complication_note)
        complication_note = complication_note.strip() if "other" in complications else ""
        now_is = (ducts, Decimal(contrast_volume_ml), sorted(complications), complication_note)
        if was == now_is:
            raise ServiceRefusal(
                "The correction changes nothing: the outcome already says this. Change the ducts, the contrast "
                "volume or the complications, or leave it as it is.",
                code="invalid",
            )
        old_codes = hl7_events.charge_codes(outcome)
        procedure = appointment.procedure
        outcome.ducts = ducts
        outcome.imaging_cpt = procedure.imaging_cpt_single if ducts == "single" else procedure.imaging_cpt_multiple
        outcome.contrast_volume_ml = contrast_volume_ml
        outcome.complications = complications
        outcome.complication_note = complication_note
        outcome.save()
        changes = [
            f"{label}: {before} → {after}"
            for label, before, after in zip(("ducts", "contrast", "complications", "note"), was, now_is, strict=True)
            if before != after
        ]
        log_unchanged_state(appointment, "correct_outcome", actor, now, f"{reason.strip()} ({'; '.join(changes)})")
        corrections = appointment.transitions.filter(action="correct_outcome").count()
        hl7_events.on_outcome_corrected(
            appointment=appointment,
            outcome=outcome,
            old_codes=old_codes,
            charge_number=1 + corrections,
            actor=actor,
            now=now,
        )
    return appointment


def abort_procedure(*, appointment_id: int, actor, reason_code: str, note: str = "", now: datetime | None = None):
    """Stop a started procedure (incomplete), with a coded reason, and free the rest of the slot."""
    return _end_early(
        appointment_id=appointment_id,
        actor=actor,
        action="abort",
        event=Event.ABORTED,
        choices=AbortReason,
        code=reason_code,
        note=note,
        now=now,
    )


def record_not_proceeded(
    *, appointment_id: int, actor, reason_code: str, note: str = "", arrived: bool = False, now: datetime | None = None
):
    """The patient came (or was due today) but is not examined: no discharge, expressed
    within 48 h, declined, contrast allergy. Frees the room and people; the schedulers' to-do
    list shows her until she is booked again. `arrived`: she is here (the check-in that found
    no discharge), so her arrival is recorded with it: she came, she is no no-show."""
    arrival = {"checked_in_at": now or timezone.now()} if arrived else {}
    return _end_early(
        appointment_id=appointment_id,
        actor=actor,
        action="did_not_proceed",
        event=Event.DID_NOT_PROCEED,
        choices=NotProceededReason,
        code=reason_code,
        note=note,
        now=now,
        arrival=arrival,
    )


def _end_early(*, appointment_id, actor, action, event, choices, code, note, now, arrival=None):
    """The change, the freed time, the withdrawn reminders and what the EHR is told (the told
    table's `event`) commit together, as a booking's do."""
    reason = coded_reason(choices, code, note)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = perform_transition(
            appointment_id=appointment_id,
            action=action,
            actor=actor,
            note=reason,
            now=now,
            fields={"reason_code": code, "reason": reason},
        )
        if arrival and appointment.checked_in_at is None:
            # Not a transition: the time she came, kept beside the ending (the state says why).
            Appointment.objects.filter(pk=appointment.pk).update(**arrival)
            appointment.checked_in_at = arrival["checked_in_at"]
        release(holder=appointment.holder, now=now)
        reminders.on_ended_early(appointment=appointment, now=now)
        hl7_events.on_ended_early(appointment=appointment, event=event, actor=actor, now=now)
        if appointment.status == AppointmentStatus.DID_NOT_PROCEED:
            rebooking.on_missed(appointment=appointment, now=now)
            # What is left of the slot goes to the waiting list when someone could still keep
            # the no-expression window before it (on the day, nobody can: no round is planned).
            offer_rounds.on_appointment_freed(
                appointment=appointment,
                cause=offer_rounds.C.DID_NOT_PROCEED,
                start=max(now, appointment.start),
                now=now,
            )
        follow_ups.on_booked_appointment_ended(appointment=appointment, now=now)
    return appointment


REPEAT = FollowUpPlan.Kind.REPEAT_DUCTOGRAM


def _repeat_order(appointment, *, actor, now):
    """A repeat ductogram waits in the work queue as a new order with the first one's facts:
    the schedulers (or "book now") give it a time, and the booking plans its reminders."""
    first = appointment.order
    return order_opening.open_order(
        now=now,
        patient=appointment.patient,
        procedure=appointment.procedure,
        created_by=actor,
        side=first.side,
        indication=first.indication,
        indication_other=first.indication_other,
        discharge_ducts=first.discharge_ducts,
        priority=first.priority,
        note=f"Repeat ductogram decided after appointment #{appointment.pk} ({first.accession_number}).",
    )


def arrange_follow_up(
    *,
    appointment_id: int,
    actor,
    kind: str,
    scheduled_for: datetime | None = None,
    reason: str = "",
    now: datetime | None = None,
):
    """The radiologist's decision after a completed procedure: a follow-up of a kind (with
    a date when it is booked), or none with the reason."""
    check_permission(actor, get_action("arrange_follow_up"))
    now = now or timezone.now()
    if kind not in FollowUpPlan.Kind.values:
        raise _invalid("kind", "Choose the follow-up.")
    if kind == FollowUpPlan.Kind.NONE and not reason.strip():
        raise _invalid("reason", "Say why no follow-up is needed.")
    if scheduled_for is not None and scheduled_for <= now:
        raise _invalid("scheduled_for", "The follow-up date must be in the future.")
    with transaction.atomic():
        label = FollowUpPlan.Kind(kind).label
        appointment = perform_transition(
            appointment_id=appointment_id,
            action="arrange_follow_up",
            actor=actor,
            note=label
            + (f" on {timezone.localtime(scheduled_for):%a %d %b %Y %H:%M}" if scheduled_for else "")
            + (f": {reason.strip()}" if reason.strip() else ""),
            now=now,
        )
        plan = FollowUpPlan.objects.create(
            appointment=appointment,
            kind=kind,
            scheduled_for=scheduled_for,
            reason=reason.strip(),
            decided_by=actor,
            decided_at=now,
            follow_up_order=_repeat_order(appointment, actor=actor, now=now) if kind == REPEAT else None,
        )
        reminders.on_follow_up_planned(plan=plan, now=now)
        follow_ups.on_follow_up_order(plan=plan, now=now)  # a repeat ductogram's order books its tracked follow-up
    return appointment
