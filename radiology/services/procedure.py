"""The procedure day: check in with a checklist, start, complete with an outcome, abort,
and the radiologist's follow-up decision. Each service is one transaction: the record it
writes and the state change commit together, or neither does."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from radiology.errors import AppointmentActionError
from radiology.models import (
    AppointmentStatus,
    CheckInChecklist,
    FollowUpPlan,
    ProcedureOutcome,
    StaffMember,
)
from radiology.services import reminders
from radiology.services.transitions import ACTIONS, check_permission, lock_appointment, perform_transition
from scheduling.services import release

ABORT_REASONS = {
    "could_not_cannulate": "Could not cannulate the duct",
    "no_discharge": "No discharge on the day",
    "patient_declined": "Patient declined",
    "contrast_reaction": "Contrast reaction",
    "equipment": "Equipment problem",
    "other": "Other",
}


@dataclass(frozen=True)
class Checklist:
    identity_confirmed: bool
    contrast_allergy_asked: bool
    contrast_allergy_reported: bool
    discharge_present_today: bool
    not_expressed_last_48h: bool
    consent_signed: bool
    side_confirmed: bool  # the order's side, confirmed with the patient (wrong-side prevention)


def _invalid(field: str, message: str) -> AppointmentActionError:
    return AppointmentActionError(message, code="invalid", fields={field: message})


def check_in_patient(*, appointment_id: int, actor, checklist: Checklist, now: datetime | None = None):
    """Check in after the technologist/nurse confirmed identity, allergy, discharge,
    no expression in 48 h and consent. No discharge today: the duct cannot be found, so
    check-in is refused and the page offers abort or reschedule instead."""
    check_permission(actor, ACTIONS["check_in"])
    now = now or timezone.now()
    if not checklist.identity_confirmed:
        raise _invalid("identity_confirmed", "Confirm the patient's name and date of birth first.")
    if not checklist.contrast_allergy_asked:
        raise _invalid("contrast_allergy_asked", "Ask about contrast allergy before checking in.")
    if not checklist.consent_signed:
        raise _invalid("consent_signed", "The consent form must be signed before check-in.")
    if not checklist.side_confirmed:
        raise _invalid("side_confirmed", "Confirm with the patient which breast is examined before check-in.")
    if not checklist.discharge_present_today:
        raise AppointmentActionError(
            "No discharge today: the duct cannot be found. Abort with the reason “no discharge” or reschedule.",
            code="invalid",
            fields={"discharge_present_today": "No discharge today."},
        )
    with transaction.atomic():
        appointment = perform_transition(
            appointment_id=appointment_id,
            action="check_in",
            actor=actor,
            note="Checklist confirmed" + ("; reports contrast allergy" if checklist.contrast_allergy_reported else ""),
            now=now,
        )
        CheckInChecklist.objects.create(
            appointment=appointment, completed_by=actor, completed_at=now, **checklist.__dict__
        )
    return appointment


def start_procedure(
    *, appointment_id: int, actor, radiologist: StaffMember, technologist: StaffMember, now: datetime | None = None
):
    """Start, recording who performs: it may differ from who was booked."""
    if radiologist.role != StaffMember.Role.RADIOLOGIST:
        raise _invalid("radiologist", f"{radiologist.name} is not a radiologist.")
    if technologist.role not in StaffMember.ASSISTING_ROLES:
        raise _invalid("technologist", f"{technologist.name} is not a technologist or nurse.")
    with transaction.atomic():
        appointment = perform_transition(
            appointment_id=appointment_id,
            action="start",
            actor=actor,
            note=f"Performed by {radiologist.name} with {technologist.name}",
            now=now,
        )
        if (appointment.radiologist_id, appointment.technologist_id) != (radiologist.pk, technologist.pk):
            type(appointment).objects.filter(pk=appointment.pk).update(
                radiologist=radiologist, technologist=technologist
            )
            appointment.refresh_from_db()
    return appointment


def complete_procedure(
    *,
    appointment_id: int,
    actor,
    ducts: str,
    contrast_volume_ml: Decimal,
    complications: list[str],
    complication_note: str = "",
    note: str = "",
    now: datetime | None = None,
):
    """Complete with the outcome: 19030 plus 77053 (one duct) or 77054 (several), the
    contrast volume and complications; plans the follow-up message."""
    check_permission(actor, ACTIONS["complete"])
    now = now or timezone.now()
    codes = set(ProcedureOutcome.Complication.values)
    if not complications or not set(complications) <= codes:
        raise _invalid("complications", "Choose the complications from the list, or “None”.")
    if "none" in complications and len(complications) > 1:
        raise _invalid("complications", "“None” cannot go with other complications.")
    if "other" in complications and not complication_note.strip():
        raise _invalid("complication_note", "Describe the other complication.")
    if ducts not in ProcedureOutcome.Ducts.values:
        raise _invalid("ducts", "Say whether one duct or several were studied.")
    if not (Decimal("0") < Decimal(contrast_volume_ml) <= Decimal("10")):
        raise _invalid("contrast_volume_ml", "Contrast volume is between 0.1 and 10 mL.")
    with transaction.atomic():
        appointment = perform_transition(appointment_id=appointment_id, action="complete", actor=actor, now=now)
        procedure = appointment.procedure
        ProcedureOutcome.objects.create(
            appointment=appointment,
            ducts=ducts,
            injection_cpt=procedure.injection_cpt,
            imaging_cpt=procedure.imaging_cpt_single if ducts == "single" else procedure.imaging_cpt_multiple,
            contrast_volume_ml=contrast_volume_ml,
            complications=complications,
            complication_note=complication_note.strip(),
            note=note.strip(),
            performing_radiologist=appointment.radiologist,
            performing_technologist=appointment.technologist,
            recorded_by=actor,
            recorded_at=now,
        )
        reminders.on_completed(appointment=appointment, now=now)
    return appointment


def abort_procedure(*, appointment_id: int, actor, reason_code: str, note: str = "", now: datetime | None = None):
    """Stop a checked-in or started procedure (incomplete) and free the rest of the slot."""
    if reason_code not in ABORT_REASONS:
        raise _invalid("reason_code", "Choose why the procedure stopped.")
    if reason_code == "other" and not note.strip():
        raise _invalid("note", "Say why the procedure stopped.")
    now = now or timezone.now()
    reason = ABORT_REASONS[reason_code] + (f": {note.strip()}" if note.strip() else "")
    with transaction.atomic():
        appointment = perform_transition(
            appointment_id=appointment_id, action="abort", actor=actor, reason=reason, now=now
        )
        release(holder=appointment.holder, now=now)
    return appointment


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
    check_permission(actor, ACTIONS["arrange_follow_up"])
    now = now or timezone.now()
    if kind not in FollowUpPlan.Kind.values:
        raise _invalid("kind", "Choose the follow-up.")
    if kind == FollowUpPlan.Kind.NONE and not reason.strip():
        raise _invalid("reason", "Say why no follow-up is needed.")
    if scheduled_for is not None and scheduled_for <= now:
        raise _invalid("scheduled_for", "The follow-up date must be in the future.")
    with transaction.atomic():
        locked = lock_appointment(appointment_id)
        if locked.status != AppointmentStatus.COMPLETED:
            raise AppointmentActionError(
                f"A follow-up is arranged after completion; this appointment is {locked.get_status_display().lower()}."
            )
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
        )
        planner = getattr(reminders, "on_follow_up_planned", None)
        if planner is not None:
            planner(plan=plan, now=now)
    return appointment
