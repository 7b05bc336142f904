"""One version of a radiologist's report as HL7 v2.5.1 ORU^R01 (unsolicited observation
result): preliminary (OBR-25 P), final (F), or a final report with its addenda (C, a corrected
result: the original text, never changed, followed by every addendum up to the new one).

MSH  as every message we send (encoders/segments.py), MSH-9 ORU^R01^ORU_R01
PID  MRN^^^ISSUER^MR, name, birth date, sex   PV1  PV1-2 O (outpatient)
ORC  ORC-1 RE (observations to follow), ORC-2 placer order number (when the EHR placed it),
     ORC-3 filler order number (the accession^us), ORC-5 CM, ORC-12 the ordering physician
OBR  OBR-2/3 as ORC-2/3, OBR-4 the procedure (CPT^name^C4), OBR-7 when the exam started,
     OBR-16 the ordering physician, OBR-18 the accession number, OBR-19 the Requested Procedure
     ID (the accession), OBR-20 the Scheduled Procedure Step ID, OBR-22 when this version was
     written or signed, OBR-24 RAD, OBR-25 P, F or C, OBR-32 the principal result interpreter:
     the signer (for a preliminary report, the radiologist writing it), id&family&given
OBX  the text, one OBX of type TX per line, escaped (encoders/segments.lines), OBX-4 the part:
       1 findings   18782-3^Radiology Study observation (narrative)^LN
       2 impression 19005-8^Radiology Imaging study [Impression] (narrative)^LN
       3.n addendum n  ADDENDUM^Addendum^L
     the assessment (CWE): 111005^Assessment Category^DCM (DICOM TID 4200), the value the
       BI-RADS category's SNOMED CT concept ^SCT, and our own BI-RADS number ^99GBR beside it
     the recommendation (CWE): 121075^Recommendation^DCM, the value our code^text^99GRC
     every OBX: OBX-11 the result status (P, F, C), OBX-14 the time of the version, OBX-16 the
     interpreter
"""

from datetime import datetime

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message

from radiology.encoders.segments import (
    fill_msh,
    fill_pid,
    filler_number,
    lines,
    placer_number,
    procedure_code,
    referring,
    staff,
    text,
    when,
)
from radiology.models import Report
from radiology.selectors.modality import scheduled_step_id

VERSION = "2.5.1"
PRELIMINARY, FINAL, CORRECTED = "P", "F", "C"
FINDINGS = "18782-3^Radiology Study observation (narrative)^LN"
IMPRESSION = "19005-8^Radiology Imaging study [Impression] (narrative)^LN"
ADDENDUM = "ADDENDUM^Addendum^L"
ASSESSMENT = "111005^Assessment Category^DCM"
RECOMMENDATION = "121075^Recommendation^DCM"
# BI-RADS 0–6 as SNOMED CT concepts (the "Mammography assessment (Category n)" findings).
BIRADS_SNOMED = {
    "0": ("397138000", "Mammography assessment (Category 0) - Need additional imaging evaluation"),
    "1": ("397140005", "Mammography assessment (Category 1) - Negative"),
    "2": ("397141009", "Mammography assessment (Category 2) - Benign finding"),
    "3": ("397143007", "Mammography assessment (Category 3) - Probably benign finding, short interval follow-up"),
    "4": ("397144001", "Mammography assessment (Category 4) - Suspicious abnormality, biopsy should be considered"),
    "5": ("397145000", "Mammography assessment (Category 5) - Highly suggestive of malignancy"),
    "6": ("6111000179101", "Mammography assessment (Category 6) - Known biopsy proven malignancy"),
}


def result_status(report: Report, addendum) -> str:
    if addendum is not None:
        return CORRECTED
    return FINAL if report.is_final else PRELIMINARY


def _interpreter(member) -> str:
    """NDL-1 (CNN) with its parts as subcomponents: id&family&given."""
    return staff(member).replace("^", "&")


def build_oru(*, report: Report, addenda: list, status: str, control_id: str, now: datetime) -> str:
    """The ER7 text of one ORU^R01 for `report` in result `status` (P, F or C), with `addenda`
    (the ReportAddendum rows to carry, oldest first; only for C). `report` with its
    appointment's patient, order and procedure, and the radiologist and signer, loaded."""
    appointment = report.appointment
    order = appointment.order
    message = Message("ORU_R01", version=VERSION, validation_level=VALIDATION_LEVEL.STRICT)
    fill_msh(message.msh, version=VERSION, message_type="ORU^R01^ORU_R01", control_id=control_id, now=now)

    result = message.add_group("ORU_R01_PATIENT_RESULT")
    patient = result.add_group("ORU_R01_PATIENT")
    fill_pid(patient.pid, appointment.patient)
    patient.add_group("ORU_R01_VISIT").pv1.pv1_2 = "O"

    if addenda:
        interpreter, at = addenda[-1].signed_by, addenda[-1].signed_at
    elif report.is_final:
        interpreter, at = report.signed_by, report.signed_at
    else:
        interpreter, at = report.radiologist, report.written_at
    observed = when(at)

    group = result.add_group("ORU_R01_ORDER_OBSERVATION")
    orc = group.orc
    orc.orc_1 = "RE"
    if placer_number(order):
        orc.orc_2 = placer_number(order)
    orc.orc_3 = filler_number(order)
    orc.orc_5 = "CM"
    if referring(order):
        orc.orc_12 = referring(order)

    obr = group.obr
    obr.obr_1 = "1"
    if placer_number(order):
        obr.obr_2 = placer_number(order)
    obr.obr_3 = filler_number(order)
    obr.obr_4 = procedure_code(appointment.procedure)
    obr.obr_7 = when(appointment.started_at or appointment.performed_at or appointment.start)
    if referring(order):
        obr.obr_16 = referring(order)
    obr.obr_18 = text(order.accession_number)
    obr.obr_19 = text(order.accession_number)
    obr.obr_20 = scheduled_step_id(appointment.pk)
    obr.obr_22 = observed
    obr.obr_24 = "RAD"
    obr.obr_25 = status
    obr.obr_32 = _interpreter(interpreter)

    observations = []
    for part, identifier, body in (("1", FINDINGS, report.findings), ("2", IMPRESSION, report.impression)):
        observations += [("TX", identifier, part, line) for line in lines(body)]
    for addendum in addenda:
        observations += [("TX", ADDENDUM, f"3.{addendum.number}", line) for line in lines(addendum.text)]
    snomed, snomed_text = BIRADS_SNOMED[report.assessment]
    birads = f"{snomed}^{text(snomed_text)}^SCT^{report.assessment}^{text(report.get_assessment_display())}^99GBR"
    observations.append(("CWE", ASSESSMENT, "4", birads))
    recommendation = f"{text(report.recommendation)}^{text(report.get_recommendation_display())}^99GRC"
    observations.append(("CWE", RECOMMENDATION, "5", recommendation))

    who = staff(interpreter)
    for number, (value_type, identifier, part, value) in enumerate(observations, start=1):
        obx = group.add_group("ORU_R01_OBSERVATION").obx
        obx.obx_1 = str(number)
        obx.obx_2 = value_type
        obx.obx_3 = identifier
        obx.obx_4 = part
        if value:  # a blank line between paragraphs: an OBX with no value
            obx.obx_5 = value
        obx.obx_11 = status
        obx.obx_14 = observed
        obx.obx_16 = who
    return message.to_er7()
