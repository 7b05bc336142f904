"""One appointment as one Modality Worklist item (a pydicom Dataset). The mapping table is in
docs/interfaces.md; keep the two together."""

from functools import cache
from types import SimpleNamespace

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
from radiology.selectors.modality import WORKLIST_FIELDS, scheduled_step_id
from scheduling.clinic_time import clinic_zone

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


def staff_person_name(*, username: str, first_name: str, last_name: str) -> str:
    if last_name or first_name:
        return person_name(last_name, first_name)
    return username


def expected_ducts(discharge_ducts: str) -> str:
    """The imaging code is chosen before the procedure from the order's discharge: several
    discharging ducts → 77054; one, or not known → 77053, the common case (the outcome at
    completion records what was really done)."""
    return "multiple" if discharge_ducts == Order.Ducts.MULTIPLE else "single"


def _label(model, field: str, value: str) -> str:
    # What get_<field>_display() says: the choice's label, or the value when it is none.
    return _choices(model, field).get(value, value)


@cache
def _choices(model, field: str) -> dict:
    return dict(model._meta.get_field(field).flatchoices)


def referring_physician_pn(family_name: str, given_name: str) -> str:
    """Order.referring_physician_pn, from the values."""
    names = SimpleNamespace(referring_physician_family_name=family_name, referring_physician_given_name=given_name)
    return Order.referring_physician_pn.fget(names)


def indication_text(indication: str, other: str) -> str:
    """Order.indication_text, from the values."""
    return other if indication == Order.Indication.OTHER else _label(Order, "indication", indication)


ROW_KEYS = ("pk", *WORKLIST_FIELDS)


def values_of(appointment: Appointment) -> dict:
    """An appointment's worklist values, as `values_list(*ROW_KEYS)` reads them."""
    values = {}
    for path in ROW_KEYS:
        value = appointment
        for name in path.split("__"):
            value = getattr(value, name)
        values[path] = value
    return values


def worklist_item(appointment: Appointment) -> Dataset:
    return item_dataset(item_values(values_of(appointment)))


def item_values(row: dict) -> dict:
    """One appointment's item from its worklist values (ROW_KEYS): keyword → value in its
    DICOM form, a sequence as a list of such dicts. Built from the values a C-FIND already
    read: model instances for 200 rows were a fifth of a cold answer's time."""
    # Never blank on the modality's screen: a missing side is said, not hidden.
    side = row["order__side"]
    breast = f"{_label(Order, 'side', side)} breast" if side else "breast (side not given)"
    zone = clinic_zone()
    local_start, local_end = row["start"].astimezone(zone), row["end"].astimezone(zone)
    ducts = expected_ducts(row["order__discharge_ducts"])
    birth_date = row["patient__birth_date"]

    def code():
        return {
            "CodeValue": row[
                "procedure__imaging_cpt_multiple" if ducts == "multiple" else "procedure__imaging_cpt_single"
            ],
            "CodingSchemeDesignator": CPT_SCHEME,
            "CodeMeaning": CPT_MEANING[ducts],
        }

    room_name = row["room__name"]
    step = {
        "Modality": "MG",
        "ScheduledStationAETitle": row["room__ae_title"],
        "ScheduledStationName": room_name[:16],
        "ScheduledProcedureStepLocation": room_name[:64],
        "ScheduledProcedureStepStartDate": _da(local_start),
        "ScheduledProcedureStepStartTime": _tm(local_start),
        "ScheduledProcedureStepEndDate": _da(local_end),
        "ScheduledProcedureStepEndTime": _tm(local_end),
        "ScheduledPerformingPhysicianName": staff_person_name(
            username=row["radiologist__user__username"],
            first_name=row["radiologist__user__first_name"],
            last_name=row["radiologist__user__last_name"],
        ),
        "ScheduledProcedureStepID": scheduled_step_id(row["pk"]),
        "ScheduledProcedureStepDescription": f"Galactogram {breast.upper()}"[:64],
        "ScheduledProcedureStepStatus": STEP_STATUS.get(row["status"], "SCHEDULED"),
        "ScheduledProtocolCodeSequence": [code()],
    }
    accession_number = row["order__accession_number"]
    return {
        "SpecificCharacterSet": CHARACTER_SET,
        "PatientName": person_name(row["patient__family_name"], row["patient__given_name"]),
        "PatientID": row["patient__mrn"],
        "IssuerOfPatientID": settings.WORKLIST_ISSUER_OF_PATIENT_ID,
        "PatientBirthDate": _da(birth_date) if birth_date else "",
        "PatientSex": SEX.get(row["patient__sex"], ""),
        "Allergies": "Contrast allergy" if row["patient__contrast_allergy"] else "",
        "AccessionNumber": accession_number,
        "ReferringPhysicianName": referring_physician_pn(
            row["order__referring_physician_family_name"], row["order__referring_physician_given_name"]
        ),
        "PlacerOrderNumberImagingServiceRequest": row["order__placer_order_number"] or "",
        "StudyInstanceUID": row["order__study_instance_uid"],
        "RequestedProcedureID": accession_number,
        "RequestedProcedureDescription": f"{row['procedure__name']}, {breast.lower()}"[:64],
        "RequestedProcedurePriority": PRIORITY.get(row["order__priority"], "ROUTINE"),
        "ReasonForTheRequestedProcedure": indication_text(row["order__indication"], row["order__indication_other"])[
            :64
        ],
        "RequestedProcedureCodeSequence": [code()],
        "ScheduledProcedureStepSequence": [step],
    }


# DICOM DA and TM. %-formatting: strftime was a third of item_values (5 a row, 200 rows a C-FIND).
def _da(day) -> str:
    return "%04d%02d%02d" % (day.year, day.month, day.day)  # noqa: UP031


def _tm(moment) -> str:
    return "%02d%02d%02d" % (moment.hour, moment.minute, moment.second)  # noqa: UP031


def item_dataset(values: dict) -> Dataset:
    """item_values as a pydicom Dataset (for the matching engine and pydicom's writer)."""
    return dataset(
        **{
            keyword: Sequence([item_dataset(sub) for sub in value]) if isinstance(value, list) else value
            for keyword, value in values.items()
        }
    )


@cache
def tag_and_vr(keyword: str) -> tuple[BaseTag, str]:
    tag = Tag(tag_for_keyword(keyword))
    return tag, dictionary_VR(tag)


def dataset(**values) -> Dataset:
    """A Dataset from keyword=value without pydicom's per-assignment conversion and
    validation: our values are already in their DICOM form, and building 200 items per
    C-FIND the ordinary way (`ds.PatientName = ...`) cost most of the answer's time."""
    elements = {}
    for keyword, value in values.items():
        tag, vr = tag_and_vr(keyword)
        if vr == "PN":
            value = PersonName(value)
        elements[tag] = DataElement(tag, vr, value, already_converted=True, validation_mode=config.IGNORE)
    return Dataset(elements)
