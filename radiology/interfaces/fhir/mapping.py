"""Our models → FHIR R4 resources (plain dicts, ready for JSON).

Times go out as instants in the clinic's zone with their offset, so an EHR in the same
building reads 09:00-05:00 and one elsewhere still gets the right instant. Appointments
carry no clinical detail (no side, indication, outcome note): only what a scheduling
system needs. Appointment.status is the told table's (radiology/services/told_table.py), as
for every other door.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from procedures.models import Procedure
from procedures.reasons import CancelReason
from radiology.models import AppointmentStatus, Room, StaffMember
from radiology.services.told_table import fhir_status
from scheduling.clinic_time import clinic_zone

CPT = "http://www.ama-assn.org/go/cpt"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CANCELLATION_REASON = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
LANGUAGE = "urn:ietf:bcp:47"
PERFORMER_TYPES = {"radiologist": ("PPRF", "primary performer"), "assistant": ("SPRF", "secondary performer")}
ACSN = {"coding": [{"system": V2_0203, "code": "ACSN", "display": "Accession ID"}]}
MR = {"coding": [{"system": V2_0203, "code": "MR", "display": "Medical record number"}]}
# The catalog's cancel reasons (procedures.reasons.CancelReason) as a code system of ours, and
# the nearest code of FHIR's appointment-cancellation-reason for systems that know only those.
CANCEL_REASON_SYSTEM = "urn:galactogram:fhir:CodeSystem:cancel-reason"
# Our extensions (docs/interfaces.md, "FHIR R4"): on $book's Appointment, why a second
# galactogram is booked; on a $find proposal, the galactogram she already has ahead.
REPEAT_BOOKING_REASON = "urn:galactogram:fhir:StructureDefinition:repeat-booking-reason"
ALREADY_BOOKED = "urn:galactogram:fhir:StructureDefinition:already-booked"
# $hold (issue 21 D): the held proposal carries its hold's id (an identifier of this system,
# which $book reads back) and the moment the hold lapses (an extension, valueDateTime).
HOLD_SYSTEM = "urn:galactogram:fhir:hold"
HOLD_EXPIRES = "urn:galactogram:fhir:StructureDefinition:hold-expires"
_PATIENT = {"code": "pat", "display": "Patient"}
_PROVIDER = {"code": "prov", "display": "Provider"}
FHIR_CANCELLATION_REASON = {
    CancelReason.PATIENT_REQUEST: _PATIENT,
    CancelReason.PATIENT_UNWELL: _PATIENT,
    CancelReason.DISCHARGE_STOPPED: _PATIENT,
    CancelReason.PATIENT_VIA_LINK: {"code": "pat-cpp", "display": "Patient: Canceled via Patient Portal"},
    CancelReason.REFERRER_CANCELLED: _PROVIDER,
    CancelReason.STAFF_OR_ROOM_UNAVAILABLE: _PROVIDER,
    CancelReason.BOOKED_IN_ERROR: {"code": "oth-err", "display": "Other: Error"},
    CancelReason.DECEASED: {"code": "pat-dec", "display": "Patient: Deceased"},
    CancelReason.OTHER: {"code": "other", "display": "Other"},
}
# FHIR codes read back into ours ($cancel); any other FHIR code is "other" with its display.
FROM_FHIR_CANCELLATION_REASON = {
    "pat": CancelReason.PATIENT_REQUEST,
    "pat-cpp": CancelReason.PATIENT_VIA_LINK,
    "prov": CancelReason.STAFF_OR_ROOM_UNAVAILABLE,
    "prov-pers": CancelReason.STAFF_OR_ROOM_UNAVAILABLE,
    "maint": CancelReason.STAFF_OR_ROOM_UNAVAILABLE,
    "oth-room": CancelReason.STAFF_OR_ROOM_UNAVAILABLE,
    "oth-err": CancelReason.BOOKED_IN_ERROR,
    "oth-oerr": CancelReason.BOOKED_IN_ERROR,
}
CPT_DISPLAY = {
    "19030": "Injection procedure for mammary ductogram or galactogram",
    "77053": "Mammary ductogram or galactogram, single duct",
    "77054": "Mammary ductogram or galactogram, multiple ducts",
}


def instant(moment: datetime) -> str:
    return moment.astimezone(clinic_zone()).isoformat(timespec="seconds")


def reference(resource_type: str, resource_id, display: str = "") -> dict:
    ref = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        ref["display"] = display
    return ref


def _meta(moment: datetime | None) -> dict:
    return {"lastUpdated": instant(moment)} if moment else {}


# --- Patient, Practitioner, Location ------------------------------------------------------


def patient(p) -> dict:
    resource = {
        "resourceType": "Patient",
        "id": str(p.pk),
        "identifier": [{"use": "usual", "type": MR, "system": settings.FHIR_MRN_SYSTEM, "value": p.mrn}],
        "active": True,
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        "gender": p.sex,
        "communication": [{"language": {"coding": [{"system": LANGUAGE, "code": p.language}]}, "preferred": True}],
    }
    if p.birth_date:  # a record from ADT may lack it
        resource["birthDate"] = p.birth_date.isoformat()
    # Death as the hospital reported it (ADT PID-29/30): the time when known, else the fact.
    if p.deceased_at:
        resource["deceasedDateTime"] = p.deceased_at.isoformat()
    elif p.deceased:
        resource["deceasedBoolean"] = True
    # A merged-away record points to the survivor (replaced-by); the survivor lists the
    # records merged into her (replaces). Both as FHIR's Patient.link.
    links = []
    if p.merged_into_id is not None:
        resource["active"] = False
        links.append({"other": reference("Patient", p.merged_into_id, p.merged_into.mrn), "type": "replaced-by"})
    links += [{"other": reference("Patient", old.pk, old.mrn), "type": "replaces"} for old in p.merged_records.all()]
    if links:
        resource["link"] = links
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": str(p.phone), "use": "mobile"})
    if p.email:
        telecom.append({"system": "email", "value": p.email, "use": "home"})
    if telecom:
        resource["telecom"] = telecom
    return resource


def practitioner(member: StaffMember) -> dict:
    user = member.user
    name = {"use": "official", "text": member.name}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    return {
        "resourceType": "Practitioner",
        "id": str(member.pk),
        "active": bool(user.is_active and member.resource and member.resource.active),
        "name": [name],
        # The department role (radiologist, technologist, nurse) is what schedulers pick by.
        "qualification": [{"code": {"text": member.get_role_display()}}],
    }


def location(room: Room) -> dict:
    resource = {
        "resourceType": "Location",
        "id": str(room.pk),
        "status": "active" if room.resource.active else "inactive",
        "name": room.name,
        "mode": "instance",
        "type": [
            {
                "coding": [
                    {"system": ROLE_CODE, "code": "RADDX", "display": "Radiology diagnostics or therapeutics unit"}
                ]
            }
        ],
        "physicalType": {"coding": [{"system": PHYSICAL_TYPE, "code": "ro", "display": "Room"}]},
    }
    if room.location:
        resource["description"] = room.location
    if room.ae_title:
        # The mammography unit's DICOM AE title: what the modality worklist is queried by.
        resource["identifier"] = [{"use": "official", "system": settings.FHIR_AE_TITLE_SYSTEM, "value": room.ae_title}]
    return resource


# --- Schedule and Slot --------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleOf:
    """The calendar of one room or one clinical staff member."""

    room: Room | None = None
    member: StaffMember | None = None

    @property
    def id(self) -> str:
        return f"room-{self.room.pk}" if self.room else f"staff-{self.member.pk}"

    @property
    def resource(self):
        return (self.room or self.member).resource

    @property
    def actor(self) -> dict:
        if self.room:
            return reference("Location", self.room.pk, self.room.name)
        return reference("Practitioner", self.member.pk, self.member.name)

    @property
    def display(self) -> str:
        return self.room.name if self.room else self.member.name


def schedule(of: ScheduleOf, procedure: Procedure) -> dict:
    return {
        "resourceType": "Schedule",
        "id": of.id,
        "active": bool(of.resource.active),
        "serviceType": [service_type(procedure.injection_cpt, procedure.name)],
        "actor": [of.actor],
        "comment": f"Galactogram calendar of {of.display}: working hours, time off and bookings.",
    }


@dataclass(frozen=True)
class SlotItem:
    id: str
    schedule: ScheduleOf
    status: str
    start: datetime
    end: datetime
    comment: str = ""


def slot(item: SlotItem, procedure: Procedure) -> dict:
    resource = {
        "resourceType": "Slot",
        "id": item.id,
        "serviceType": [service_type(procedure.injection_cpt, procedure.name)],
        "schedule": reference("Schedule", item.schedule.id, item.schedule.display),
        "status": item.status,
        "start": instant(item.start),
        "end": instant(item.end),
    }
    if item.comment:
        resource["comment"] = item.comment
    return resource


# --- Appointment --------------------------------------------------------------------------


def service_type(code: str, text: str = "") -> dict:
    concept = {"coding": [{"system": CPT, "code": code, "display": CPT_DISPLAY.get(code, code)}]}
    if text:
        concept["text"] = text
    return concept


# What an Appointment resource is made of, read as plain values: a day's page builds no
# model instances (200 appointments with nine related rows each would cost ~150 ms).
APPOINTMENT_FIELDS = (
    "id",
    "status",
    "start",
    "end",
    "duration_minutes",
    "created_at",
    "updated_at",
    "cancel_reason",
    "cancel_reason_code",
    "patient_id",
    "patient__given_name",
    "patient__family_name",
    "procedure__name",
    "procedure__injection_cpt",
    "room_id",
    "room__name",
    "radiologist_id",
    "radiologist__user__first_name",
    "radiologist__user__last_name",
    "radiologist__user__username",
    "technologist_id",
    "technologist__user__first_name",
    "technologist__user__last_name",
    "technologist__user__username",
    "order__accession_number",
    "outcome__imaging_cpt",
)


def _person(row: dict, prefix: str) -> str:
    """StaffMember.name from values: the full name, else the username."""
    full = f"{row[prefix + '__user__first_name']} {row[prefix + '__user__last_name']}".strip()
    return full or row[prefix + "__user__username"]


def _performers(radiologist: tuple[int, str], assistant: tuple[int, str], status: str) -> list[dict]:
    return [
        {
            "type": [{"coding": [{"system": PARTICIPATION_TYPE, "code": code, "display": display}]}],
            "actor": reference("Practitioner", member_id, name),
            "required": "required",
            "status": status,
        }
        for (member_id, name), (code, display) in (
            (radiologist, PERFORMER_TYPES["radiologist"]),
            (assistant, PERFORMER_TYPES["assistant"]),
        )
    ]


def cancelation_reason(row: dict) -> dict | None:
    if row["status"] == AppointmentStatus.NO_SHOW:
        return {
            "coding": [{"system": CANCELLATION_REASON, "code": "pat-noshow", "display": "Patient: No-show"}],
            "text": "No-show",
        }
    if row["status"] == AppointmentStatus.CANCELLED:
        reason = {"text": row["cancel_reason"]}
        code = row["cancel_reason_code"]
        if code in CancelReason.values:
            reason["coding"] = [
                {"system": CANCEL_REASON_SYSTEM, "code": code, "display": CancelReason(code).label},
                {"system": CANCELLATION_REASON, **FHIR_CANCELLATION_REASON[code]},
            ]
        return reason
    return None


def appointment(row: dict) -> dict:
    """One appointment from its APPOINTMENT_FIELDS values."""
    codes = [row["procedure__injection_cpt"]]
    if row["outcome__imaging_cpt"]:  # performed: the imaging supervision code too
        codes.append(row["outcome__imaging_cpt"])
    name, room = row["procedure__name"], row["room__name"]
    resource = {
        "resourceType": "Appointment",
        "id": str(row["id"]),
        "meta": _meta(row["updated_at"]),
        "identifier": [
            {
                "use": "official",
                "type": ACSN,
                "system": settings.FHIR_ACCESSION_SYSTEM,
                "value": row["order__accession_number"],
            }
        ],
        "status": fhir_status(row["status"]),
        "serviceType": [service_type(code) for code in codes],
        "appointmentType": {"coding": [service_type(code)["coding"][0] for code in codes], "text": name},
        "start": instant(row["start"]),
        "end": instant(row["end"]),
        "minutesDuration": row["duration_minutes"],
        "created": instant(row["created_at"]),
        "comment": f"{name}, {row['duration_minutes']} min, {room}",
        "participant": [
            {
                "actor": reference(
                    "Patient", row["patient_id"], f"{row['patient__given_name']} {row['patient__family_name']}"
                ),
                "required": "required",
                "status": "accepted",
            },
            *_performers(
                (row["radiologist_id"], _person(row, "radiologist")),
                (row["technologist_id"], _person(row, "technologist")),
                "accepted",
            ),
            {"actor": reference("Location", row["room_id"], room), "required": "required", "status": "accepted"},
        ],
    }
    reason = cancelation_reason(row)
    if reason:
        resource["cancelationReason"] = reason
    return resource


def proposed_appointment(option, *, procedure: Procedure, patient=None, ahead=None) -> dict:
    """A free start from the slot search, as $find returns it and $book takes it back. When
    the patient already has a galactogram ahead (`ahead`), the proposal says so: an extension
    naming it and a comment; booking it needs a repeatBookingReason, as in the API."""
    minutes = round((option.end - option.start).total_seconds() / 60)
    participants = []
    if patient is not None:
        participants.append(
            {
                "actor": reference("Patient", patient.pk, patient.full_name),
                "required": "required",
                "status": "needs-action",
            }
        )
    participants += _performers(
        (option.radiologist.pk, option.radiologist.name),
        (option.technologist.pk, option.technologist.name),
        "needs-action",
    )
    participants.append(
        {
            "actor": reference("Location", option.room.pk, option.room.name),
            "required": "required",
            "status": "needs-action",
        }
    )
    proposal = {
        "resourceType": "Appointment",
        "status": "proposed",
        "serviceType": [service_type(procedure.injection_cpt)],
        "appointmentType": {"coding": service_type(procedure.injection_cpt)["coding"], "text": procedure.name},
        "start": instant(option.start),
        "end": instant(option.end),
        "minutesDuration": minutes,
        "participant": participants,
    }
    if ahead is not None:
        local = ahead.start.astimezone(clinic_zone())
        proposal["extension"] = [
            {"url": ALREADY_BOOKED, "valueReference": reference("Appointment", ahead.pk, f"{local:%a %d %b %Y %H:%M}")}
        ]
        proposal["comment"] = (
            f"She already has a galactogram on {local:%a %d %b %Y %H:%M} (Appointment/{ahead.pk}): "
            "booking this one as well needs repeatBookingReason."
        )
    return proposal


def held_appointment(hold, *, procedure, patient) -> dict:
    """A $find proposal held by $hold: status "pending", the hold's id as an identifier and its
    expiry as an extension (and in the comment, for people reading it)."""
    held = proposed_appointment(hold, procedure=procedure, patient=patient)
    held["status"] = "pending"
    held["identifier"] = [{"system": HOLD_SYSTEM, "value": hold.hold_id}]
    held["extension"] = [*held.get("extension", []), {"url": HOLD_EXPIRES, "valueDateTime": instant(hold.expires_at)}]
    held["comment"] = f"Held for you until {instant(hold.expires_at)}: book it with $book before then."
    return held


def hold_id_of(appointment: dict) -> str | None:
    """The hold a proposal sent to $book names, if any."""
    for identifier in appointment.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("system") == HOLD_SYSTEM:
            return str(identifier.get("value") or "")
    return None
