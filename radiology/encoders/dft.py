"""The charges of a performed exam as HL7 v2.5.1 DFT^P03 (post detail financial transaction):
one FT1 per CPT code, a charge (CG) when the outcome is recorded and, when a correction changes
the codes, a credit (CD) of the codes charged before followed by a charge of the new ones.

MSH  as every message we send (encoders/segments.py), MSH-9 DFT^P03^DFT_P03
EVN  EVN-1 P03, EVN-2 when the charge was planned, EVN-5 who
PID  MRN^^^ISSUER^MR, name, birth date, sex   PV1  PV1-2 O (outpatient)
FT1  FT1-1 set id, FT1-2 transaction id (12 hex digits of a hash of accession, charge number,
     CG/CD and set id: unique and the same on every attempt), FT1-4 the date of service (when
     the exam was performed), FT1-5 the posting time, FT1-6 CG (charge) or CD (credit) (HL7
     table 0017), FT1-7 the code (CPT^text^C4),
     FT1-10 quantity 1, FT1-20 the performing radiologist (our id^family^given), FT1-21 the
     ordering (referring) physician, FT1-23 the filler order number (the accession^us),
     FT1-25 the procedure code (CPT^text^C4)
"""

import hashlib
from datetime import datetime

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message

from radiology.encoders.segments import fill_msh, fill_pid, filler_number, person, referring, staff, text, when
from radiology.models import Appointment

VERSION = "2.5.1"
CHARGE, CREDIT = "CG", "CD"
# The CPT codes a galactogram is charged with, in words (CPT short descriptors).
CPT_TEXT = {
    "19030": "Injection for mammary ductogram or galactogram",
    "77053": "Mammary ductogram or galactogram, single duct",
    "77054": "Mammary ductogram or galactogram, multiple ducts",
}


def transaction_id(accession: str, charge_number: int, transaction_type: str, number: int) -> str:
    """FT1-2 (ST, at most 12 characters in v2.5.1): the first 12 hex digits of the SHA-256 of
    accession-n<CG|CD>-set id: unique per line and the same on every attempt."""
    return hashlib.sha256(f"{accession}-{charge_number}{transaction_type}-{number}".encode()).hexdigest()[:12].upper()


def code(cpt: str) -> str:
    return f"{text(cpt)}^{text(CPT_TEXT.get(cpt, 'Procedure'))}^C4"


def build_dft(
    *,
    appointment: Appointment,
    codes: list[str],
    transaction_type: str,
    charge_number: int,
    performing,
    control_id: str,
    actor,
    now: datetime,
) -> str:
    """The ER7 text of one DFT^P03: an FT1 of `transaction_type` (CG or CD) per CPT code in
    `codes`, for the `charge_number`-th recording of the outcome (1 the first, 2 after the first
    correction...), performed by `performing` (a StaffMember). `appointment` with patient,
    order (and performed_at) loaded."""
    message = Message("DFT_P03", version=VERSION, validation_level=VALIDATION_LEVEL.STRICT)
    fill_msh(message.msh, version=VERSION, message_type="DFT^P03^DFT_P03", control_id=control_id, now=now)
    message.evn.evn_1 = "P03"
    message.evn.evn_2 = when(now)
    message.evn.evn_5 = person(actor)
    fill_pid(message.pid, appointment.patient)
    message.pv1.pv1_2 = "O"

    order = appointment.order
    served = when(appointment.performed_at or appointment.started_at or appointment.start)
    for number, cpt in enumerate(codes, start=1):
        ft1 = message.add_group("DFT_P03_FINANCIAL").ft1
        ft1.ft1_1 = str(number)
        ft1.ft1_2 = transaction_id(order.accession_number, charge_number, transaction_type, number)
        ft1.ft1_4 = served
        ft1.ft1_5 = when(now)
        ft1.ft1_6 = transaction_type
        ft1.ft1_7 = code(cpt)
        ft1.ft1_10 = "1"
        ft1.ft1_20 = staff(performing)
        if referring(order):
            ft1.ft1_21 = referring(order)
        ft1.ft1_23 = filler_number(order)
        ft1.ft1_25 = code(cpt)
    return message.to_er7()
