"""MPPS N-CREATE / N-SET: DICOM attributes in, a StepReport to the performed-step services,
a DICOM status out. Which attribute carries what is documented in docs/interfaces.md."""

import logging
import math
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


class BadAttribute(Exception):
    """An attribute whose value cannot be read (a date 00000000): the N-CREATE or N-SET is
    refused with Invalid Attribute Value, its Error Comment naming the attribute."""

    def __init__(self, keyword: str, value: str):
        super().__init__(keyword)
        self.keyword, self.value = keyword, value

    @property
    def comment(self) -> str:
        # Error Comment is an LO: 64 characters at most.
        return f"{self.keyword} {self.value!r} is not valid"[:64]


def _local_instant(ds: Dataset, day_keyword: str, time_keyword: str) -> datetime | None:
    """DA + TM as the modality's wall clock in the clinic zone, returned aware (UTC inside).
    Absent: None; present and not a date or time (00000000, 20261345): BadAttribute."""
    day, time = _text(ds, day_keyword), _text(ds, time_keyword)
    if not day:
        return None
    digits = (time or "").split(".")[0].replace(":", "")
    if not re.fullmatch(r"\d{8}", day):
        raise BadAttribute(day_keyword, day)
    if not re.fullmatch(r"(\d{2}){0,3}", digits):
        raise BadAttribute(time_keyword, time)
    try:
        naive = datetime.strptime(day, "%Y%m%d")  # noqa: DTZ007 - zone set below
    except ValueError:
        raise BadAttribute(day_keyword, day) from None
    try:
        naive = datetime.strptime(day + digits.ljust(6, "0"), "%Y%m%d%H%M%S")  # noqa: DTZ007 - zone set below
    except ValueError:
        raise BadAttribute(time_keyword, time) from None
    return naive.replace(tzinfo=clinic_zone())


def _lenient_instant(ds: Dataset, day_keyword: str, time_keyword: str) -> datetime | None:
    try:
        return _local_instant(ds, day_keyword, time_keyword)
    except BadAttribute:
        return None


# What PerformedProcedureStep.contrast_volume_ml holds (4 digits, one after the point).
MAX_CONTRAST_ML = Decimal("999.9")


def _contrast_volume(ds: Dataset) -> tuple[Decimal | None, str]:
    """(the volume in ml, or None; the value as sent when it was not a volume). NaN, an
    infinity or a figure past what the record holds is no volume: the step is kept and, once
    completed, is on the needs-attention list asking for the volume, with what was sent."""
    try:
        raw = _text(ds, "ContrastBolusVolume")
        for series in ds.get("PerformedSeriesSequence") or []:
            raw = raw or _text(series, "ContrastBolusVolume")
    except (ValueError, OverflowError) as error:  # pydicom refusing to read the DS
        return None, str(error)[:40]
    if not raw:
        return None, ""
    try:
        volume = Decimal(raw)
        if not volume.is_finite() or not 0 <= volume <= MAX_CONTRAST_ML:
            return None, raw[:40]
        return volume.quantize(Decimal("0.1")), ""
    except InvalidOperation:
        return None, raw[:40]


def _complications(ds: Dataset) -> list[str] | None:
    found = COMPLICATIONS_LINE.search(_text(ds, "CommentsOnThePerformedProcedureStep"))
    if not found:
        return None
    return [code.strip().lower() for code in found.group(1).split(",") if code.strip()] or None


def _storable_json(value):
    """The DICOM JSON with each NaN or infinity (a DS of "NaN" or "1e400") as text: JSON, and
    so PostgreSQL's jsonb, has no such numbers, and the step would not be stored at all."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _storable_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable_json(item) for item in value]
    return value


def report_from(ds: Dataset, *, calling_ae: str = "", strict: bool = True) -> StepReport:
    """The step as the services take it. `strict`: a date or time that is not one refuses
    the message (BadAttribute); a step stored before that rule reads it as absent."""
    instant = _local_instant if strict else _lenient_instant
    scheduled = (ds.get("ScheduledStepAttributesSequence") or [Dataset()])[0]
    reason = (ds.get("PerformedProcedureStepDiscontinuationReasonCodeSequence") or [Dataset()])[0]
    volume, volume_as_sent = _contrast_volume(ds)
    return StepReport(
        status=_text(ds, "PerformedProcedureStepStatus"),
        attributes=_storable_json(ds.to_json_dict()),
        study_instance_uid=_text(scheduled, "StudyInstanceUID"),
        scheduled_step_id=_text(scheduled, "ScheduledProcedureStepID"),
        accession_number=_text(scheduled, "AccessionNumber"),
        station_ae_title=_text(ds, "PerformedStationAETitle") or calling_ae.strip(),
        started_at=instant(ds, "PerformedProcedureStepStartDate", "PerformedProcedureStepStartTime"),
        ended_at=instant(ds, "PerformedProcedureStepEndDate", "PerformedProcedureStepEndTime"),
        procedure_codes=[_text(code, "CodeValue") for code in ds.get("ProcedureCodeSequence") or []],
        contrast_volume_ml=volume,
        contrast_volume_as_sent=volume_as_sent,
        complications=_complications(ds),
        series_instance_uids=[_text(s, "SeriesInstanceUID") for s in ds.get("PerformedSeriesSequence") or []],
        discontinuation_reason=_text(reason, "CodeMeaning"),
        patient_id=_text(ds, "PatientID"),
    )


def stored_report(step: PerformedProcedureStep) -> StepReport:
    """What the modality last reported of a stored step, as when it arrived."""
    return report_from(Dataset.from_json(step.attributes), calling_ae=step.station_ae_title, strict=False)


def create(*, sop_instance_uid: str | None, attributes: Dataset, calling_ae: str = "") -> tuple[int, Dataset | None]:
    missing = [k for k in REQUIRED_ON_CREATE if k not in attributes or attributes[k].is_empty]
    if not sop_instance_uid or missing:
        log.info("MPPS N-CREATE refused: missing %s", ", ".join(missing) or "Affected SOP Instance UID")
        return MISSING_ATTRIBUTE, None
    try:
        step = record_step_created(
            sop_instance_uid=str(sop_instance_uid), report=report_from(attributes, calling_ae=calling_ae)
        )
    except BadAttribute as bad:
        log.info("MPPS N-CREATE %s refused: %s", sop_instance_uid, bad.comment)
        return _invalid(bad), None
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
    except BadAttribute as bad:
        log.info("MPPS N-SET %s refused: %s", sop_instance_uid, bad.comment)
        return _invalid(bad), None
    except PerformedStepError as refusal:
        log.info("MPPS N-SET %s refused: %s", sop_instance_uid, refusal)
        return STATUS_FOR[refusal.code], None
    log.info("MPPS %s set: %s, appointment %s", step.sop_instance_uid, step.status, step.appointment_id)
    return SUCCESS, modifications


def _invalid(bad: BadAttribute) -> Dataset:
    """Invalid Attribute Value with the attribute named in the Error Comment."""
    status = Dataset()
    status.Status = INVALID_ATTRIBUTE_VALUE
    status.ErrorComment = bad.comment
    return status
