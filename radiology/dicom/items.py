"""One appointment as one Modality Worklist item (a pydicom Dataset). The mapping table is in
docs/interfaces.md; keep the two together."""

from django.conf import settings
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from radiology.modality_selectors import scheduled_step_id
from radiology.models import Appointment, AppointmentStatus, Order, Patient

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
    local_start = appointment.local_start

    item = Dataset()
    item.SpecificCharacterSet = CHARACTER_SET
    item.PatientName = person_name(patient.family_name, patient.given_name)
    item.PatientID = patient.mrn
    item.IssuerOfPatientID = settings.WORKLIST_ISSUER_OF_PATIENT_ID
    item.PatientBirthDate = patient.birth_date.strftime("%Y%m%d")
    item.PatientSex = SEX.get(patient.sex, "")
    item.Allergies = "Contrast allergy" if patient.contrast_allergy else ""
    item.AccessionNumber = order.accession_number
    item.ReferringPhysicianName = order.referring_physician_pn
    item.PlacerOrderNumberImagingServiceRequest = order.placer_order_number or ""
    item.StudyInstanceUID = order.study_instance_uid
    item.RequestedProcedureID = order.accession_number
    item.RequestedProcedureDescription = f"{procedure.name}, {breast.lower()}"[:64]
    item.RequestedProcedurePriority = PRIORITY.get(order.priority, "ROUTINE")
    item.ReasonForTheRequestedProcedure = order.indication_text[:64]

    ducts = expected_ducts(order)
    code = Dataset()
    code.CodeValue = procedure.imaging_cpt_multiple if ducts == "multiple" else procedure.imaging_cpt_single
    code.CodingSchemeDesignator = CPT_SCHEME
    code.CodeMeaning = CPT_MEANING[ducts]
    item.RequestedProcedureCodeSequence = Sequence([code])

    step = Dataset()
    step.Modality = "MG"
    step.ScheduledStationAETitle = room.ae_title
    step.ScheduledStationName = room.name[:16]
    step.ScheduledProcedureStepLocation = room.name[:64]
    step.ScheduledProcedureStepStartDate = local_start.strftime("%Y%m%d")
    step.ScheduledProcedureStepStartTime = local_start.strftime("%H%M%S")
    step.ScheduledProcedureStepEndDate = appointment.local_end.strftime("%Y%m%d")
    step.ScheduledProcedureStepEndTime = appointment.local_end.strftime("%H%M%S")
    step.ScheduledPerformingPhysicianName = staff_person_name(appointment.radiologist)
    step.ScheduledProcedureStepID = scheduled_step_id(appointment.pk)
    step.ScheduledProcedureStepDescription = f"Galactogram {breast.upper()}"[:64]
    step.ScheduledProcedureStepStatus = STEP_STATUS.get(appointment.status, "SCHEDULED")
    step.ScheduledProtocolCodeSequence = Sequence([_copy(code)])
    item.ScheduledProcedureStepSequence = Sequence([step])
    return item


def _copy(dataset: Dataset) -> Dataset:
    copy = Dataset()
    copy.update(dataset)
    return copy
