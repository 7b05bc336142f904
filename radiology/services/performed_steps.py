"""Performed procedure steps reported by a modality (DICOM MPPS), applied to appointments
through the same workflow services as the pages.

Rules:
- Every step is stored, linked or not, with what the modality sent; a step is never
  dropped because it could not be applied — it goes to the "needs attention" list.
- Every change to the appointment goes through one entry, run_action, with the action
  table's inputs, as for the API.
- IN PROGRESS starts the linked appointment (started time from the step; the booked people).
- COMPLETED makes the exam performed (the room and people are free, the worklist item
  leaves) and completes it too when the outcome is whole: the ducts from the performed
  procedure code (77053 one duct, 77054 several), the contrast volume and the complications
  as the modality reported them (docs/interfaces.md). Nothing is guessed: when any of them
  is missing, the performed exam's outcome is a task on the technologist's and the
  radiologist's lists and on the modality steps page, and what the modality did send is the
  outcome form's starting value.
- DISCONTINUED aborts it (incomplete) with the reason "Discontinued at the modality".
- A final step (COMPLETED, DISCONTINUED) never changes again.
- A person resolves a step on the needs-attention list: links an unmatched (or unapplied)
  step to its appointment, which then goes through what the modality reported as if the
  step had matched (all of it or nothing), or dismisses it with a reason. Either is recorded
  on the step (who, when, what). A link never joins two patients: where the modality sent a
  Patient ID, it must be the appointment's MRN.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone

from procedures.reasons import AbortReason
from radiology.errors import ServiceRefusal
from radiology.models import Appointment, AppointmentStatus, PerformedProcedureStep, ProcedureOutcome
from radiology.selectors.modality import find_appointment_for_step
from radiology.services.actions import run_action
from radiology.services.transitions import lock_appointment

log = logging.getLogger(__name__)

Status = PerformedProcedureStep.Status
Attention = PerformedProcedureStep.Attention
FINAL = {Status.COMPLETED, Status.DISCONTINUED}


class PerformedStepError(Exception):
    """A refusal the door turns into a DICOM status: duplicate, unknown, final, invalid."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class StepReport:
    """What the modality said, as plain values (the DICOM door translates)."""

    status: str
    attributes: dict
    study_instance_uid: str = ""
    scheduled_step_id: str = ""
    accession_number: str = ""
    station_ae_title: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    procedure_codes: list[str] = field(default_factory=list)
    contrast_volume_ml: Decimal | None = None
    # What the modality sent when it was no volume (NaN, 1e400): named on the attention list.
    contrast_volume_as_sent: str = ""
    complications: list[str] | None = None
    series_instance_uids: list[str] = field(default_factory=list)
    discontinuation_reason: str = ""
    patient_id: str = ""


def modality_actor():
    """The user modality-reported changes are logged as: one account, in the technologist
    group (it may start, complete and abort), with no password to log in with. Migration
    0019_modality_user makes it; a door never creates users while answering a request."""
    username = settings.WORKLIST_MODALITY_USERNAME
    try:
        return get_user_model().objects.get(username=username)
    except ObjectDoesNotExist:
        raise ImproperlyConfigured(
            f"No user “{username}” for modality reports (WORKLIST_MODALITY_USERNAME): run manage.py migrate, "
            "or create it in the technologist group."
        ) from None


def _ducts_from_codes(appointment: Appointment, codes: list[str]) -> str:
    proc = appointment.procedure
    if proc.imaging_cpt_multiple in codes:
        return ProcedureOutcome.Ducts.MULTIPLE
    if proc.imaging_cpt_single in codes:
        return ProcedureOutcome.Ducts.SINGLE
    return ""


def record_step_created(*, sop_instance_uid: str, report: StepReport, now: datetime | None = None):
    """N-CREATE: store the step, link it, and start the appointment when it is IN PROGRESS."""
    now = now or timezone.now()
    if report.status != Status.IN_PROGRESS:
        raise PerformedStepError("A performed procedure step is created IN PROGRESS.", code="invalid")
    with transaction.atomic():
        if PerformedProcedureStep.objects.filter(sop_instance_uid=sop_instance_uid).exists():
            raise PerformedStepError("This step was already created.", code="duplicate")
        appointment = find_appointment_for_step(
            study_instance_uid=report.study_instance_uid,
            scheduled_step_id=report.scheduled_step_id,
            accession_number=report.accession_number,
        )
        step = PerformedProcedureStep(sop_instance_uid=sop_instance_uid, appointment=appointment, received_at=now)
        _copy_report(step, report, now)
        if appointment is None:
            step.attention = Attention.UNMATCHED
            step.attention_note = "No appointment has this Study Instance UID and step, or this accession number."
        else:
            _apply(step, report)
        try:
            with transaction.atomic():
                step.save()
        except IntegrityError:
            # The same N-CREATE on two associations at once: the unique SOP Instance UID
            # lets one in; the other is a duplicate, and its appointment change is undone too.
            raise PerformedStepError("This step was already created.", code="duplicate") from None
    return step


def record_step_updated(
    *, sop_instance_uid: str, report_for: Callable[[dict], StepReport], now: datetime | None = None
) -> PerformedProcedureStep:
    """N-SET: record the new state; COMPLETED completes, DISCONTINUED aborts.

    `report_for(stored_attributes)` is the door's merge of what the step holds and what the
    N-SET changes. It is called under the step's row lock, so two N-SETs of one step at once
    merge one after the other and neither loses the other's attributes."""
    now = now or timezone.now()
    with transaction.atomic():
        step = PerformedProcedureStep.objects.select_for_update().filter(sop_instance_uid=sop_instance_uid).first()
        if step is None:
            raise PerformedStepError("No step with this SOP Instance UID was created.", code="unknown")
        report = report_for(step.attributes)
        if report.status not in Status.values:
            raise PerformedStepError(f"Unknown step status “{report.status}”.", code="invalid")
        if step.status in FINAL:
            raise PerformedStepError(f"The step is already {step.status}; it cannot change.", code="final")
        previous = step.status
        _copy_report(step, report, now)
        if step.appointment is not None and report.status != previous:
            _apply(step, report)
        step.save()
    return step


def _copy_report(step: PerformedProcedureStep, report: StepReport, now: datetime) -> None:
    step.status = report.status
    step.attributes = report.attributes
    step.study_instance_uid = report.study_instance_uid[:64]
    step.scheduled_step_id = report.scheduled_step_id[:16]
    step.accession_number = report.accession_number[:16]
    step.station_ae_title = report.station_ae_title[:16]
    step.started_at = report.started_at
    step.ended_at = report.ended_at
    step.procedure_codes = list(report.procedure_codes)
    step.contrast_volume_ml = report.contrast_volume_ml
    step.series_instance_uids = list(report.series_instance_uids)
    if step.appointment is not None:
        step.ducts = _ducts_from_codes(step.appointment, report.procedure_codes)
    step.updated_at = now


def _apply(step: PerformedProcedureStep, report: StepReport) -> None:
    """Move the appointment; a refusal leaves the step on the needs-attention list with the
    service's own sentence, and the step is stored all the same."""
    appointment = step.appointment
    actor = modality_actor()
    step.attention, step.attention_note = Attention.NONE, ""
    try:
        if report.status == Status.IN_PROGRESS:
            # The booked radiologist and technologist perform it (run_action's default).
            run_action(
                appointment_id=appointment.pk, action="start", actor=actor, now=report.started_at or step.updated_at
            )
        elif report.status == Status.DISCONTINUED:
            run_action(
                appointment_id=appointment.pk,
                action="abort",
                actor=actor,
                inputs={
                    "reason_code": AbortReason.DISCONTINUED_AT_MODALITY,
                    "note": report.discontinuation_reason[:250],
                },
                now=report.ended_at or step.updated_at,
            )
        elif report.status == Status.COMPLETED:
            # The exam is performed whatever the modality said about it: the room and people are
            # free, and the outcome is a task on the lists. A whole outcome completes it at once.
            ended = report.ended_at or step.updated_at
            if appointment.status == AppointmentStatus.IN_PROCEDURE:
                run_action(appointment_id=appointment.pk, action="exam_done", actor=actor, now=ended)
            missing = _missing_outcome(step, report)
            if missing:
                # Also on the modality steps page, with what the modality did send.
                step.attention = Attention.OUTCOME_NEEDED
                step.attention_note = f"The modality did not send {missing}."
            else:
                run_action(
                    appointment_id=appointment.pk,
                    action="complete",
                    actor=actor,
                    inputs={
                        "outcome": {
                            "ducts": step.ducts,
                            "contrast_volume_ml": report.contrast_volume_ml,
                            "complications": report.complications,
                            "note": f"Reported by the modality (MPPS {step.sop_instance_uid})",
                        }
                    },
                    now=ended,
                )
    except ServiceRefusal as refusal:
        step.attention = Attention.NOT_APPLIED
        step.attention_note = refusal.message[:300]


def _missing_outcome(step: PerformedProcedureStep, report: StepReport) -> str:
    missing = []
    if not step.ducts:
        missing.append("the performed procedure code (77053 or 77054)")
    if report.contrast_volume_ml is None:
        sent = report.contrast_volume_as_sent
        missing.append(f"the contrast volume (it sent “{sent}”, no volume in ml)" if sent else "the contrast volume")
    if not report.complications:
        missing.append("the complications")
    return " and ".join(missing)


def complete_from_step(*, step_id: int, actor, outcome: dict):
    """The radiologist completes a step the modality finished without the whole outcome:
    the same completion service as the pages, then the step leaves the attention list."""
    with transaction.atomic():
        step = PerformedProcedureStep.objects.select_for_update().get(pk=step_id)
        if step.attention != Attention.OUTCOME_NEEDED or step.appointment_id is None:
            raise ServiceRefusal("This step does not wait for an outcome any more.")
        appointment = run_action(
            appointment_id=step.appointment_id, action="complete", actor=actor, inputs={"outcome": outcome}
        )
        step.attention, step.attention_note = Attention.NONE, ""
        step.updated_at = timezone.now()
        step.save(update_fields=["attention", "attention_note", "updated_at"])
    return appointment


RESOLVABLE = {Attention.UNMATCHED, Attention.NOT_APPLIED}


def _lock_resolvable_step(step_id: int) -> PerformedProcedureStep:
    step = PerformedProcedureStep.objects.select_for_update().filter(pk=step_id).first()
    if step is None:
        raise ServiceRefusal("That modality step does not exist.", code="not_found")
    if step.attention not in RESOLVABLE:
        raise ServiceRefusal("This step does not need resolving any more.", code="conflict")
    return step


def _resolved(step: PerformedProcedureStep, *, actor, resolution: str, now: datetime) -> None:
    step.resolution, step.resolved_by, step.resolved_at = resolution[:300], actor, now
    step.updated_at = now


def link_step(*, step_id: int, appointment_id: int, actor, report: StepReport, now: datetime | None = None):
    """Link a step that matched no appointment (or could not be applied to the one it
    matched) to `appointment_id`, and apply what the modality reported (`report`, the step's
    last attributes): started, then completed or discontinued. All of it, or nothing: a
    refusal is raised with the service's sentence and the step stays on the list."""
    now = now or timezone.now()
    with transaction.atomic():
        step = _lock_resolvable_step(step_id)
        appointment = lock_appointment(appointment_id)
        patient = appointment.patient
        if report.patient_id and report.patient_id != patient.mrn:
            raise ServiceRefusal(
                f"The modality recorded patient ID {report.patient_id}; this appointment is for "
                f"{patient} (MRN {patient.mrn}). Link it to that patient's appointment.",
                code="invalid",
            )
        # What was stored when the step arrived wins; the report adds what only its attributes
        # say (complications, the discontinuation reason).
        report = replace(
            report,
            status=step.status,
            started_at=step.started_at,
            ended_at=step.ended_at,
            procedure_codes=list(step.procedure_codes),
            contrast_volume_ml=step.contrast_volume_ml,
        )
        step.appointment = appointment
        step.ducts = _ducts_from_codes(appointment, report.procedure_codes)
        if appointment.status != AppointmentStatus.IN_PROCEDURE:
            _apply(step, replace(report, status=Status.IN_PROGRESS))
        else:
            step.attention, step.attention_note = Attention.NONE, ""
        if step.attention == Attention.NONE and report.status in FINAL:
            _apply(step, report)
        if step.attention == Attention.NOT_APPLIED:
            raise ServiceRefusal(f"Not linked: {step.attention_note}", code="not_allowed")
        _resolved(step, actor=actor, resolution=f"Linked to appointment #{appointment.pk}", now=now)
        step.save()
    log.info("MPPS step %s linked to appointment %s by user %s", step.pk, appointment.pk, actor.pk)
    return step


def dismiss_step(*, step_id: int, actor, reason: str, now: datetime | None = None):
    """Take a step off the list without touching any appointment (a QC exam, a duplicate, a
    test at the modality), saying why."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ServiceRefusal("Say why the step is dismissed.", code="invalid", fields={"reason": "Required."})
    with transaction.atomic():
        step = _lock_resolvable_step(step_id)
        step.attention, step.attention_note = Attention.NONE, ""
        _resolved(step, actor=actor, resolution=f"Dismissed: {reason}", now=now)
        step.save()
    log.info("MPPS step %s dismissed by user %s", step.pk, actor.pk)
    return step
