"""An order's status as the Order Filler tells the Order Placer (IHE RAD-3, "Filler Order
Status Update"): ORM^O01 in HL7 v2.3.1 (the default), or OMG^O19 in v2.5.1
(HL7_ORDER_STATUS_VERSION = "2.5.1").

MSH  as every message we send (encoders/segments.py), MSH-9 ORM^O01^ORM_O01 or OMG^O19^OMG_O19
PID  MRN^^^ISSUER^MR, name, birth date, sex   PV1  PV1-2 O (outpatient)
ORC  ORC-1 SC (status changed), ORC-2 placer order number^placer (when the EHR placed it),
     ORC-3 filler order number (the accession^us), ORC-5 the order status (HL7 table 0038: SC, IP,
     CM, CA, DC), ORC-7 quantity/timing (^^^start) in 2.3.1, ORC-9 when, ORC-10 who,
     ORC-12 the ordering (referring) physician, ORC-16 the coded reason of a cancellation,
     did not proceed, no-show or abort (identifier^text^coding system, as SCH-6)
TQ1  (2.5.1 only) TQ1-1 1, TQ1-7 the booked start, TQ1-8 its end
OBR  OBR-2/3 as ORC-2/3, OBR-4 the procedure (CPT^name^C4), OBR-7 when the exam started (once it
     has), OBR-16 the ordering physician, OBR-18 the accession number, OBR-19 the Requested
     Procedure ID (the accession, as the worklist gives it), OBR-20 the Scheduled Procedure Step
     ID (the worklist's), OBR-24 RAD, OBR-27 quantity/timing (2.3.1), OBR-36 the booked start
IHE RAD-3 puts the accession in OBR-18 for ORM; OMG^O19 in 2.5.1 has no IPC segment, so OBR-18
carries it there too. No Z-segment is sent (a strict receiver would refuse one it does not know).
"""

from datetime import datetime

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message

from radiology.encoders.segments import (
    fill_msh,
    fill_pid,
    filler_number,
    person,
    placer_number,
    procedure_code,
    referring,
    text,
    when,
)
from radiology.models import Appointment
from radiology.selectors.modality import scheduled_step_id

ORM, OMG = "2.3.1", "2.5.1"


def build_order_status(
    *,
    appointment: Appointment,
    status: str,
    reason: tuple[str, str, str] | None,
    version: str,
    control_id: str,
    actor,
    now: datetime,
) -> str:
    """The ER7 text of one order-status message: ORC-5 `status` (HL7 table 0038), ORC-16
    `reason` as (identifier, text, coding system) or None; `version` ORM ("2.3.1", ORM^O01) or
    OMG ("2.5.1", OMG^O19). `appointment` with patient, order and procedure loaded."""
    if version not in (ORM, OMG):
        raise ValueError(f"HL7_ORDER_STATUS_VERSION is {version!r}: 2.3.1 (ORM^O01) or 2.5.1 (OMG^O19).")
    structure = "ORM_O01" if version == ORM else "OMG_O19"
    message = Message(structure, version=version, validation_level=VALIDATION_LEVEL.STRICT)
    fill_msh(
        message.msh,
        version=version,
        message_type=f"{structure[:3]}^{structure[4:]}^{structure}",
        control_id=control_id,
        now=now,
    )
    order, procedure = appointment.order, appointment.procedure
    start, end = when(appointment.start), when(appointment.end)

    patient = message.add_group(f"{structure}_PATIENT")
    fill_pid(patient.pid, appointment.patient)
    patient.add_group(f"{structure}_PATIENT_VISIT").pv1.pv1_2 = "O"

    group = message.add_group(f"{structure}_ORDER")
    orc = group.orc
    orc.orc_1 = "SC"
    if placer_number(order):
        orc.orc_2 = placer_number(order)
    orc.orc_3 = filler_number(order)
    orc.orc_5 = status
    if version == ORM:
        orc.orc_7 = f"^^^{start}^{end}"
    orc.orc_9 = when(now)
    orc.orc_10 = person(actor)
    if referring(order):
        orc.orc_12 = referring(order)
    if reason is not None:
        orc.orc_16 = "^".join(text(part) for part in reason)

    if version == OMG:
        tq1 = group.add_group("OMG_O19_TIMING").tq1
        tq1.tq1_1 = "1"
        tq1.tq1_7 = start
        tq1.tq1_8 = end
        obr = group.obr
    else:
        obr = group.add_group("ORM_O01_ORDER_DETAIL").add_group("ORM_O01_CHOICE").obr
    obr.obr_1 = "1"
    if placer_number(order):
        obr.obr_2 = placer_number(order)
    obr.obr_3 = filler_number(order)
    obr.obr_4 = procedure_code(procedure, coded_as="C4")
    if appointment.started_at:
        obr.obr_7 = when(appointment.started_at)
    if referring(order):
        obr.obr_16 = referring(order)
    obr.obr_18 = text(order.accession_number)
    obr.obr_19 = text(order.accession_number)
    obr.obr_20 = scheduled_step_id(appointment.pk)
    obr.obr_24 = "RAD"
    if version == ORM:
        obr.obr_27 = f"^^^{start}^{end}"
    obr.obr_36 = start
    return message.to_er7()
