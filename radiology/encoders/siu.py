"""One appointment event as an HL7 v2.5.1 SIU message (structure SIU_S12 for every event).

MSH  sender/receiver from settings, MSH-10 the control id, MSH-15/16 AL/NE
SCH  SCH-1/2 placer/filler appointment id (this system books and fills: both are ours),
     SCH-6 event reason (identifier^text^coding system), SCH-7 reason (routine), SCH-8 type
     (normal), SCH-9/10 duration in minutes, SCH-11 timing (duration, start, end), SCH-16/17
     the booking clerk and the department's phone, SCH-20 who did this, SCH-25 filler status,
     SCH-26 the placer order number (when the EHR placed the order), SCH-27 the accession number
PID  MRN^^^ISSUER^MR, name, birth date, sex: identification only, nothing clinical
RGS  one resource group
AIS  the procedure (CPT)   AIG the technologist or nurse   AIL the room   AIP the radiologist
Times are the clinic's local time with its UTC offset (YYYYMMDDHHMMSS±ZZZZ).

It writes what it is given: which trigger event, SCH-6 reason and SCH-25 filler status a change
is told as is the told table's (radiology/services/told_table.py), chosen by the caller.
"""

from datetime import datetime

from django.conf import settings
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message

from radiology.encoders.segments import fill_msh, fill_pid, filler_number, person, staff, text, when
from radiology.models import Appointment

VERSION = "2.5.1"
__all__ = ["VERSION", "build_siu", "person", "staff", "text", "when"]  # the shared helpers: encoders/segments.py


def build_siu(
    *,
    appointment: Appointment,
    trigger: str,
    reason: tuple[str, str, str],
    filler_status: str,
    control_id: str,
    actor,
    now: datetime,
) -> str:
    """The ER7 text of one SIU message: `trigger` (S12...), SCH-6 `reason` as (identifier,
    text, coding system), SCH-25 `filler_status` (HL7 table 0278). `appointment` with
    patient, order, room, radiologist, technologist (and their users) and procedure loaded."""
    app = text(settings.HL7_APPLICATION)
    facility = text(settings.HL7_FACILITY)
    start, end = when(appointment.start), when(appointment.end)
    minutes = str(appointment.duration_minutes)
    message = Message("SIU_S12", version=VERSION, validation_level=VALIDATION_LEVEL.STRICT)

    fill_msh(message.msh, version=VERSION, message_type=f"SIU^{trigger}^SIU_S12", control_id=control_id, now=now)

    sch = message.sch
    appointment_id = f"{appointment.pk}^{app}"
    sch.sch_1 = appointment_id
    sch.sch_2 = appointment_id
    sch.sch_6 = "^".join(text(part) for part in reason)
    sch.sch_7 = "ROUTINE^Routine appointment^HL70276"
    sch.sch_8 = "Normal^Routine schedule request^HL70277"
    sch.sch_9 = minutes
    sch.sch_10 = "min^minutes^UCUM"
    sch.sch_11 = f"^^M{minutes}^{start}^{end}"
    sch.sch_16 = person(appointment.booked_by) if appointment.booked_by_id else person(None)
    sch.sch_17 = f"^WPN^PH^^^^^^^^^{text(settings.CLINIC_PHONE)}"
    sch.sch_20 = person(actor)
    sch.sch_25 = f"{filler_status}^{filler_status}^HL70278"
    order = appointment.order
    if order.placer_order_number:  # an order the EHR placed (ORC-2 of its ORM/OMG)
        sch.sch_26 = f"{text(order.placer_order_number)}^{text(order.placer_system)}"
    sch.sch_27 = filler_number(order)  # the filler order number: the accession

    fill_pid(message.add_group("SIU_S12_PATIENT").pid, appointment.patient)

    resources = message.add_group("SIU_S12_RESOURCES")
    resources.rgs.rgs_1 = "1"
    procedure = appointment.procedure
    ais = resources.add_group("SIU_S12_SERVICE").ais
    ais.ais_1 = "1"
    ais.ais_3 = f"{text(procedure.injection_cpt)}^{text(procedure.name)}^C4"
    ais.ais_4 = start
    ais.ais_7 = minutes
    ais.ais_8 = "min^minutes^UCUM"
    ais.ais_10 = f"{filler_status}^{filler_status}^HL70278"

    assistant = appointment.technologist
    aig = resources.add_group("SIU_S12_GENERAL_RESOURCE").aig
    aig.aig_1 = "1"
    aig.aig_3 = f"{assistant.pk}^{text(assistant.name)}"
    aig.aig_4 = f"{assistant.role.upper()}^{assistant.get_role_display()}^L"
    aig.aig_8 = start
    aig.aig_11 = minutes
    aig.aig_12 = "min^minutes^UCUM"

    room = appointment.room
    ail = resources.add_group("SIU_S12_LOCATION_RESOURCE").ail
    ail.ail_1 = "1"
    ail.ail_3 = f"^{text(room.name)}^^{facility}"
    ail.ail_4 = "ROOM^Procedure room^L"
    ail.ail_6 = start

    aip = resources.add_group("SIU_S12_PERSONNEL_RESOURCE").aip
    aip.aip_1 = "1"
    aip.aip_3 = staff(appointment.radiologist)
    aip.aip_4 = "RADIOLOGIST^Radiologist^L"
    aip.aip_6 = start
    aip.aip_9 = minutes
    aip.aip_10 = "min^minutes^UCUM"

    return message.to_er7()
