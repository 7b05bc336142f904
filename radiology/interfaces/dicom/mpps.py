"""MPPS N-CREATE / N-SET: DICOM attributes in, a StepReport to the performed-step services,
a DICOM status out. Which attribute carries what is documented in docs/interfaces.md."""

import logging
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from pydicom.dataset import Dataset

from radiology.models import PerformedProcedureStep
from radiology.services.performed_steps import PerformedStepError, StepReport, record_step_created, record_step_updated
from scheduling.clinic_time import clinic_zone

log = logging.getLogger(__name__)

SUCCESS = 0x0000
PROCESSING_FAILURE = 0x0110  # PS3.4 F.7.2.2: the step is final and may no longer be updated
DUPLICATE_INSTANCE = 0x0111
NO_SUCH_INSTANCE = 0x0112
MISSING_ATTRIBUTE = 0x0120
INVALID_ATTRIBUTE_VALUE = 0x0106
STATUS_FOR = {
    "duplicate": DUPLICATE_INSTANCE,
    "unknown": NO_SUCH_INSTANCE,
    "final": PROCESSING_FAILURE,
    "invalid": INVALID_ATTRIBUTE_VALUE,
}
# Type 1 in the N-CREATE (PS3.4 Table F.7.2-1) and needed to link and time the step.
REQUIRED_ON_CREATE = (
    "PerformedProcedureStepStatus",
    "PerformedProcedureStepStartDate",
    "PerformedProcedureStepStartTime",
    "ScheduledStepAttributesSequence",
)
# The modality's technologist types it in Comments on the Performed Procedure Step, e.g.
# "Complications: none" or "Complications: pain, bleeding" (codes of ProcedureOutcome).
COMPLICATIONS_LINE = re.compile(r"complications\s*:\s*([a-z_,\s]+)", re.IGNORECASE)


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return str(value).strip() if value not in (None, "") else ""


def _local_instant(day: str, time: str) -> datetime | None:
    """DA + TM as the modality's wall clock in the clinic zone, returned aware (UTC inside)."""
    if not day:
        return None
    digits = (time or "").split(".")[0].replace(":", "").ljust(6, "0")[:6]
    try:
        naive = datetime.strptime(day + digits, "%Y%m%d%H%M%S")  # noqa: DTZ007 - zone set next line
    except ValueError:
        return None
    return naive.replace(tzinfo=clinic_zone())


def _contrast_volume(ds: Dataset) -> Decimal | None:
    raw = _text(ds, "ContrastBolusVolume")
    for series in ds.get("PerformedSeriesSequence") or []:
        raw = raw or _text(series, "ContrastBolusVolume")
    try:
        return Decimal(raw).quantize(Decimal("0.1")) if raw else None
    except InvalidOperation:
        return None


def _complications(ds: Dataset) -> list[str] | None:
    found = COMPLICATIONS_LINE.search(_text(ds, "CommentsOnThePerformedProcedureStep"))
    if not found:
        return None
    return [code.strip().lower() for code in found.group(1).split(",") if code.strip()] or None


def report_from(ds: Dataset, *, calling_ae: str = "") -> StepReport:
    scheduled = (ds.get("ScheduledStepAttributesSequence") or [Dataset()])[0]
    reason = (ds.get("PerformedProcedureStepDiscontinuationReasonCodeSequence") or [Dataset()])[0]
    return StepReport(
        status=_text(ds, "PerformedProcedureStepStatus"),
        attributes=ds.to_json_dict(),
        study_instance_uid=_text(scheduled, "StudyInstanceUID"),
        scheduled_step_id=_text(scheduled, "ScheduledProcedureStepID"),
        accession_number=_text(scheduled, "AccessionNumber"),
        station_ae_title=_text(ds, "PerformedStationAETitle") or calling_ae.strip(),
        started_at=_local_instant(
            _text(ds, "PerformedProcedureStepStartDate"), _text(ds, "PerformedProcedureStepStartTime")
        ),
        ended_at=_local_instant(_text(ds, "PerformedProcedureStepEndDate"), _text(ds, "PerformedProcedureStepEndTime")),
        procedure_codes=[_text(code, "CodeValue") for code in ds.get("ProcedureCodeSequence") or []],
        contrast_volume_ml=_contrast_volume(ds),
        complications=_complications(ds),
        series_instance_uids=[_text(s, "SeriesInstanceUID") for s in ds.get("PerformedSeriesSequence") or []],
        discontinuation_reason=_text(reason, "CodeMeaning"),
        patient_id=_text(ds, "PatientID"),
    )


def stored_report(step: PerformedProcedureStep) -> StepReport:
    """What the modality last reported of a stored step, as when it arrived."""
    return report_from(Dataset.from_json(step.attributes), calling_ae=step.station_ae_title)


def create(*, sop_instance_uid: str | None, attributes: Dataset, calling_ae: str = "") -> tuple[int, Dataset | None]:
    missing = [k for k in REQUIRED_ON_CREATE if k not in attributes or attributes[k].is_empty]
    if not sop_instance_uid or missing:
        log.info("MPPS N-CREATE refused: missing %s", ", ".join(missing) or "Affected SOP Instance UID")
        return MISSING_ATTRIBUTE, None
    try:
        step = record_step_created(
            sop_instance_uid=str(sop_instance_uid), report=report_from(attributes, calling_ae=calling_ae)
        )
    except PerformedStepError as refusal:
        log.info("MPPS N-CREATE %s refused: %s", sop_instance_uid, refusal)
        return STATUS_FOR[refusal.code], None
    log.info("MPPS %s created: %s, appointment %s", step.sop_instance_uid, step.status, step.appointment_id)
    return SUCCESS, attributes


def update(*, sop_instance_uid: str | None, modifications: Dataset) -> tuple[int, Dataset | None]:
    def merged_report(stored_attributes: dict) -> StepReport:
        # Called under the step's row lock: the N-SET's elements over what the step holds now.
        merged = Dataset.from_json(stored_attributes)
        for element in modifications:
            merged[element.tag] = element
        return report_from(merged)

    try:
        step = record_step_updated(sop_instance_uid=str(sop_instance_uid or ""), report_for=merged_report)
    except PerformedStepError as refusal:
        log.info("MPPS N-SET %s refused: %s", sop_instance_uid, refusal)
        return STATUS_FOR[refusal.code], None
    log.info("MPPS %s set: %s, appointment %s", step.sop_instance_uid, step.status, step.appointment_id)
    return SUCCESS, modifications
