"""The exam after the room as FHIR R4: the order (ServiceRequest), the radiologist's report
(DiagnosticReport) and the images the modality reported (ImagingStudy). Plain dicts.

Codes, and why these (docs/interfaces.md, "FHIR R4"):
- the report's code is LOINC's "Breast duct Mammogram W contrast intra duct" (39054-2), with
  the side's and the multiple-duct variants when the order and the outcome say them;
- the BI-RADS assessment (conclusionCode) is in a code system of ours, codes "0"–"6" as the
  ACR atlas numbers them: no LOINC answer list for it could be confirmed while this was
  written, and a wrong standard code is worse than an honest local one;
- the side is SNOMED CT's left or right breast structure;
- ServiceRequest.status follows Order.Status, DiagnosticReport.status the report's (final
  with addenda is `appended`, R4's "final, then added to, the original unchanged"), and
  ImagingStudy.status the modality's steps.
"""

import base64
from urllib.parse import quote

from django.conf import settings

from radiology.encoders.report_text import report_text
from radiology.interfaces.fhir.mapping import ACSN, CPT, CPT_DISPLAY, V2_0203, instant, reference
from radiology.models import Order, PerformedProcedureStep, Report

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
DICOM_UID = "urn:dicom:uid"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
NPI = "http://hl7.org/fhir/sid/us-npi"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
PLACER_SYSTEM_PREFIX = "urn:galactogram:placer:"
PROCEDURE_SYSTEM = "urn:galactogram:fhir:CodeSystem:procedure"
INDICATION_SYSTEM = "urn:galactogram:fhir:CodeSystem:indication"
BIRADS_SYSTEM = "urn:galactogram:fhir:CodeSystem:birads-assessment"
PLAC = {"coding": [{"system": V2_0203, "code": "PLAC", "display": "Placer Identifier"}]}
FILL = {"coding": [{"system": V2_0203, "code": "FILL", "display": "Filler Identifier"}]}
RADIOLOGY = {"coding": [{"system": V2_0074, "code": "RAD", "display": "Radiology"}]}
BREAST = {
    Order.Side.LEFT: ("80248007", "Left breast structure"),
    Order.Side.RIGHT: ("73056007", "Right breast structure"),
}
# (multiple ducts?, side) → LOINC. The side-less codes when the order gave no side.
REPORT_CODES = {
    (False, ""): ("39054-2", "Breast duct Mammogram W contrast intra duct"),
    (False, Order.Side.LEFT): ("38096-4", "Breast duct - left Mammogram W contrast intra duct"),
    (False, Order.Side.RIGHT): ("38825-6", "Breast duct - right Mammogram W contrast intra duct"),
    (True, ""): ("39148-2", "Breast duct Mammogram W contrast intra multiple ducts"),
    (True, Order.Side.LEFT): ("39145-8", "Breast duct - left Mammogram W contrast intra multiple ducts"),
    (True, Order.Side.RIGHT): ("39147-4", "Breast duct - right Mammogram W contrast intra multiple ducts"),
}
SERVICE_REQUEST_STATUS = {
    Order.Status.WAITING: "active",
    Order.Status.SCHEDULED: "active",
    Order.Status.COMPLETED: "completed",
    Order.Status.CANCELLED: "revoked",
}
MODALITIES = {"MG": "Mammography", "RF": "Radio Fluoroscopy", "DX": "Digital Radiography", "US": "Ultrasound"}
# The Modality Worklist schedules the galactogram as MG (interfaces/dicom/items.py): a step
# whose N-CREATE did not say otherwise was performed on what it was scheduled for.
SCHEDULED_MODALITY = "MG"
MODALITY_TAG = "00080060"


# --- ServiceRequest: the order ---------------------------------------------------------------


def placer_system_uri(namespace: str) -> str:
    """The URI of the placer's order numbers: the configured one, else a URN of its namespace
    ("" when the order named no placer: the number is then told without a system)."""
    if not namespace:
        return ""
    return settings.FHIR_PLACER_SYSTEMS.get(namespace) or PLACER_SYSTEM_PREFIX + quote(namespace, safe="")


def order_identifiers(order: Order) -> list[dict]:
    accession = {"system": settings.FHIR_ACCESSION_SYSTEM, "value": order.accession_number}
    identifiers = []
    if order.placer_order_number:
        placer = {"use": "official", "type": PLAC}
        if order.placer_system:
            placer["system"] = placer_system_uri(order.placer_system)
        placer["value"] = order.placer_order_number
        if order.placer_system:
            placer["assigner"] = {"display": order.placer_system}
        identifiers.append(placer)
    # The filler order number is the accession (as SIU's SCH-27 and the worklist say it).
    identifiers.append({"use": "official", "type": FILL, **accession})
    identifiers.append({"use": "usual", "type": ACSN, **accession})
    return identifiers


def procedure_code(procedure) -> dict:
    cpt = procedure.injection_cpt
    return {
        "coding": [
            {"system": CPT, "code": cpt, "display": CPT_DISPLAY.get(cpt, cpt)},
            {"system": PROCEDURE_SYSTEM, "code": procedure.slug, "display": procedure.name},
        ],
        "text": procedure.name,
    }


def _requester(order: Order) -> dict | None:
    """The referring physician, who has no Practitioner resource here: her name, and her NPI."""
    requester = {}
    if order.referring_physician_npi:
        requester["identifier"] = {"system": NPI, "value": order.referring_physician_npi}
    if order.referring_physician_name:
        requester["display"] = order.referring_physician_name
    return requester or None


def _reason(order: Order) -> dict | None:
    if not order.indication:
        return None
    return {
        "coding": [{"system": INDICATION_SYSTEM, "code": order.indication, "display": order.get_indication_display()}],
        "text": order.indication_text,
    }


def body_site(side: str) -> dict | None:
    if side not in BREAST:
        return None
    code, display = BREAST[side]
    return {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": f"{side.title()} breast"}


def service_request(order: Order) -> dict:
    """An order; `occurrence_start` / `occurrence_end` annotated: its booked (or performed)
    appointment's times, None when none is booked."""
    patient = order.patient
    resource = {
        "resourceType": "ServiceRequest",
        "id": str(order.pk),
        "meta": {"lastUpdated": instant(order.updated_at)},
        "identifier": order_identifiers(order),
        "status": SERVICE_REQUEST_STATUS[order.status],
        "intent": "order",
        "category": [{"coding": [{"system": SNOMED, "code": "363679005", "display": "Imaging"}]}],
        "priority": order.priority,
        "code": procedure_code(order.procedure),
        "subject": reference("Patient", patient.pk, patient.full_name),
        "authoredOn": instant(order.received_at),
    }
    if order.occurrence_start:
        resource["occurrencePeriod"] = {"start": instant(order.occurrence_start), "end": instant(order.occurrence_end)}
    if requester := _requester(order):
        resource["requester"] = requester
    if reason := _reason(order):
        resource["reasonCode"] = [reason]
    if site := body_site(order.side):
        resource["bodySite"] = [site]
    return resource


# --- DiagnosticReport: the radiologist's report ---------------------------------------------


def report_status(report: Report, addenda: list) -> str:
    if not report.is_final:
        return "preliminary"
    return "appended" if addenda else "final"


def report_code(order: Order, ducts: str) -> dict:
    code, display = REPORT_CODES[(ducts == "multiple", order.side or "")]
    return {"coding": [{"system": LOINC, "code": code, "display": display}], "text": "Mammary ductogram report"}


def birads(report: Report) -> dict:
    label = report.get_assessment_display()
    return {
        "coding": [{"system": BIRADS_SYSTEM, "code": report.assessment, "display": label}],
        "text": label,
    }


def _practitioner(member) -> dict:
    return reference("Practitioner", member.pk, member.name)


def diagnostic_report(report: Report) -> dict:
    """A report with its appointment, order, patient, radiologist and signer loaded, its
    addenda prefetched, and `has_study` annotated (the order has MPPS steps)."""
    appointment = report.appointment
    order, patient = appointment.order, appointment.patient
    addenda = list(report.addenda.all())
    outcome_ducts = getattr(getattr(appointment, "outcome", None), "ducts", "")
    text = report_text(report, addenda)
    issued = addenda[-1].signed_at if addenda else report.signed_at or report.written_at
    resource = {
        "resourceType": "DiagnosticReport",
        "id": str(report.pk),
        "meta": {"lastUpdated": instant(issued)},
        "identifier": [
            {"use": "usual", "type": ACSN, "system": settings.FHIR_ACCESSION_SYSTEM, "value": order.accession_number}
        ],
        "basedOn": [reference("ServiceRequest", order.pk)],
        "status": report_status(report, addenda),
        "category": [RADIOLOGY],
        "code": report_code(order, outcome_ducts),
        "subject": reference("Patient", patient.pk, patient.full_name),
        "issued": instant(issued),
        "performer": [_practitioner(report.radiologist)],
        "conclusion": report.impression,
        "conclusionCode": [birads(report)],
        "presentedForm": [
            {
                "contentType": "text/plain; charset=utf-8",
                "language": "en",
                "data": base64.b64encode(text.encode()).decode("ascii"),
                "title": f"Mammary ductogram report, {order.accession_number}",
                "creation": instant(issued),
            }
        ],
    }
    if appointment.performed_at:  # a report is written on a performed exam, which has its time
        resource["effectiveDateTime"] = instant(appointment.performed_at)
    if report.is_final:
        resource["resultsInterpreter"] = [_practitioner(report.signed_by)]
    if report.has_study:
        resource["imagingStudy"] = [reference("ImagingStudy", order.pk)]
    return resource


# --- ImagingStudy: what the modality performed ----------------------------------------------


def step_modality(step: PerformedProcedureStep) -> str:
    values = (step.attributes or {}).get(MODALITY_TAG, {}).get("Value") or []
    return str(values[0]).strip().upper() if values and values[0] else SCHEDULED_MODALITY


def modality_coding(code: str) -> dict:
    return {"system": DCM, "code": code, "display": MODALITIES.get(code, code)}


def study_status(steps: list[PerformedProcedureStep]) -> str:
    """Images exist once a step completed; a step still in progress is a study begun; only
    discontinued steps: the study was given up."""
    statuses = {s.status for s in steps}
    if PerformedProcedureStep.Status.COMPLETED in statuses:
        return "available"
    if PerformedProcedureStep.Status.IN_PROGRESS in statuses:
        return "registered"
    return "cancelled"


def imaging_study(order: Order, steps: list[PerformedProcedureStep]) -> dict:
    """An order's study from its appointments' MPPS steps (oldest first); the identifier is
    the order's Study Instance UID, which the worklist gave the modality."""
    patient = order.patient
    series, modalities, codes = [], [], []
    for step in steps:
        modality = step_modality(step)
        if modality not in modalities:
            modalities.append(modality)
        for uid in step.series_instance_uids:
            if uid and uid not in (s["uid"] for s in series):
                series.append({"uid": uid, "modality": modality_coding(modality)})
        codes += [c for c in step.procedure_codes if c and c not in codes]
    started = [s.started_at for s in steps if s.started_at]
    resource = {
        "resourceType": "ImagingStudy",
        "id": str(order.pk),
        "meta": {"lastUpdated": instant(max(s.updated_at for s in steps))},
        "identifier": [
            {"use": "official", "system": DICOM_UID, "value": f"urn:oid:{order.study_instance_uid}"},
            {"use": "usual", "type": ACSN, "system": settings.FHIR_ACCESSION_SYSTEM, "value": order.accession_number},
        ],
        "status": study_status(steps),
        "modality": [modality_coding(m) for m in modalities],
        "subject": reference("Patient", patient.pk, patient.full_name),
        "basedOn": [reference("ServiceRequest", order.pk)],
        "numberOfSeries": len(series),
        "procedureCode": [
            {"coding": [{"system": CPT, "code": code, "display": CPT_DISPLAY.get(code, code)}]} for code in codes
        ]
        or [procedure_code(order.procedure)],
        "description": order.procedure.name,
    }
    if started:
        resource["started"] = instant(min(started))
    if series:
        resource["series"] = series
    return resource
