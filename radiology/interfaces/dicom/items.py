"""One appointment as one Modality Worklist item (a pydicom Dataset). The mapping table is in
docs/interfaces.md; keep the two together."""

from functools import cache

from django.conf import settings
from pydicom import config
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag, Tag
from pydicom.valuerep import PersonName

from radiology import rules
from radiology.models import Appointment, AppointmentStatus, Order, Patient
from radiology.selectors.modality import scheduled_step_id

CHARACTER_SET = "ISO_IR 192"  # UTF-8: Núñez^José reaches the modality as written
SEX = {Patient.Sex.FEMALE: "F", Patient.Sex.MALE: "M", Patient.Sex.OTHER: "O", Patient.Sex.UNKNOWN: ""}
# DICOM Defined Terms for Scheduled Procedure Step Status (PS3.3 C.4.10).
STEP_STATUS = {AppointmentStatus.CHECKED_IN: "ARRIVED"}
PRIORITY = {"urgent": "HIGH", "routine": "ROUTINE"}
CPT_SCHEME = "C4"
CPT_MEANING = {
    "single": "Mammary ductogram or galactogram, single duct",
    "multiple": "Mammary ductogram or galactogram, multiple ducts",
}


def person_name(family: str, given: str) -> str:
    # A record stored before the control-character rule still reaches the modality clean.
    family, given = rules.without_control_characters(family), rules.without_control_characters(given)
    return f"{family}^{given}".rstrip("^")


def staff_person_name(staff) -> str:
    user = staff.user
    if user.last_name or user.first_name:
        return person_name(user.last_name, user.first_name)
    return user.get_username()


def expected_ducts(order) -> str:
    """The imaging code is chosen before the procedure from the order's discharge: several
    discharging ducts → 77054; one, or not known → 77053, the common case (the outcome at
    completion records what was really done)."""
    return "multiple" if order.discharge_ducts == Order.Ducts.MULTIPLE else "single"


def worklist_item(appointment: Appointment) -> Dataset:
    patient, order, room = appointment.patient, appointment.order, appointment.room
    procedure = appointment.procedure
    # Never blank on the modality's screen: a missing side is said, not hidden.
    breast = f"{order.get_side_display()} breast" if order.side else "breast (side not given)"
    local_start, local_end = appointment.local_start, appointment.local_end
    ducts = expected_ducts(order)

    def code():
        return dataset(
            CodeValue=procedure.imaging_cpt_multiple if ducts == "multiple" else procedure.imaging_cpt_single,
            CodingSchemeDesignator=CPT_SCHEME,
            CodeMeaning=CPT_MEANING[ducts],
        )

    step = dataset(
        Modality="MG",
        ScheduledStationAETitle=room.ae_title,
        ScheduledStationName=room.name[:16],
        ScheduledProcedureStepLocation=room.name[:64],
        ScheduledProcedureStepStartDate=local_start.strftime("%Y%m%d"),
        ScheduledProcedureStepStartTime=local_start.strftime("%H%M%S"),
        ScheduledProcedureStepEndDate=local_end.strftime("%Y%m%d"),
        ScheduledProcedureStepEndTime=local_end.strftime("%H%M%S"),
        ScheduledPerformingPhysicianName=staff_person_name(appointment.radiologist),
        ScheduledProcedureStepID=scheduled_step_id(appointment.pk),
        ScheduledProcedureStepDescription=f"Galactogram {breast.upper()}"[:64],
        ScheduledProcedureStepStatus=STEP_STATUS.get(appointment.status, "SCHEDULED"),
        ScheduledProtocolCodeSequence=Sequence([code()]),
    )
    return dataset(
        SpecificCharacterSet=CHARACTER_SET,
        PatientName=person_name(patient.family_name, patient.given_name),
        PatientID=patient.mrn,
        IssuerOfPatientID=settings.WORKLIST_ISSUER_OF_PATIENT_ID,
        PatientBirthDate=patient.birth_date.strftime("%Y%m%d") if patient.birth_date else "",
        PatientSex=SEX.get(patient.sex, ""),
        Allergies="Contrast allergy" if patient.contrast_allergy else "",
        AccessionNumber=order.accession_number,
        ReferringPhysicianName=order.referring_physician_pn,
        PlacerOrderNumberImagingServiceRequest=order.placer_order_number or "",
        StudyInstanceUID=order.study_instance_uid,
        RequestedProcedureID=order.accession_number,
        RequestedProcedureDescription=f"{procedure.name}, {breast.lower()}"[:64],
        RequestedProcedurePriority=PRIORITY.get(order.priority, "ROUTINE"),
        ReasonForTheRequestedProcedure=order.indication_text[:64],
        RequestedProcedureCodeSequence=Sequence([code()]),
        ScheduledProcedureStepSequence=Sequence([step]),
    )


@cache
def _tag_and_vr(keyword: str) -> tuple[BaseTag, str]:
    tag = Tag(tag_for_keyword(keyword))
    return tag, dictionary_VR(tag)


def dataset(**values) -> Dataset:
    """A Dataset from keyword=value without pydicom's per-assignment conversion and
    validation: our values are already in their DICOM form, and building 200 items per
    C-FIND the ordinary way (`ds.PatientName = ...`) cost most of the answer's time."""
    elements = {}
    for keyword, value in values.items():
        tag, vr = _tag_and_vr(keyword)
        if vr == "PN":
            value = PersonName(value)
        elements[tag] = DataElement(tag, vr, value, already_converted=True, validation_mode=config.IGNORE)
    return Dataset(elements)
