"""What every HL7 v2 message we send shares: the text escaping, times, people, MSH and PID.

Used by the SIU (siu.py), order-status (order_status.py), report (oru.py) and charge (dft.py)
encoders; each builds its message with hl7apy at VALIDATION_LEVEL.STRICT, so a field that does
not fit its version's definition fails when the message is planned, not at the receiver.
"""

from datetime import datetime

from django.conf import settings

from radiology.models import StaffMember
from scheduling.clinic_time import clinic_zone

_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


def _escaped(value: str) -> str:
    for raw, escaped in _ESCAPES:
        value = value.replace(raw, escaped)
    return value


def text(value) -> str:
    """A value as HL7 text: the delimiters escaped, line breaks flattened."""
    return _escaped(" ".join(str(value or "").split()))


def lines(value) -> list[str]:
    """Free text as HL7 text, one item per line (a report's OBX per line): each line escaped as
    text() escapes, its inner spacing kept tidy, blank lines kept as empty items except at the
    ends, so the receiver shows the paragraphs the radiologist wrote."""
    rows = [" ".join(line.split()) for line in str(value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while rows and not rows[0]:
        rows.pop(0)
    while rows and not rows[-1]:
        rows.pop()
    return [_escaped(row) for row in rows]


def when(moment: datetime) -> str:
    return moment.astimezone(clinic_zone()).strftime("%Y%m%d%H%M%S%z")


def day(moment: datetime) -> str:
    return moment.astimezone(clinic_zone()).strftime("%Y%m%d")


def person(user) -> str:
    """XCN for a user: login^family^given."""
    if user is None:
        return "SYSTEM^System"
    return f"{text(user.get_username())}^{text(user.last_name)}^{text(user.first_name)}"


def staff(member: StaffMember) -> str:
    """XCN (and CNN) for a staff member: our id^family^given."""
    return f"{member.pk}^{text(member.user.last_name or member.name)}^{text(member.user.first_name)}"


def referring(order) -> str:
    """XCN of the order's referring (ordering) physician: NPI^family^given^^^^^^NPI when the
    NPI is known, ^family^given otherwise; empty when the order names nobody."""
    name = f"{text(order.referring_physician_family_name)}^{text(order.referring_physician_given_name)}"
    if order.referring_physician_npi:
        return f"{order.referring_physician_npi}^{name}^^^^^^NPI"
    return f"^{name}" if name != "^" else ""


def fill_msh(msh, *, version: str, message_type: str, control_id: str, now: datetime) -> None:
    """MSH-3/4 us, MSH-5/6 the EHR (settings), MSH-7 now, MSH-9 `message_type`
    (type^trigger^structure), MSH-10 the control id, MSH-11 processing id, MSH-12 `version`,
    MSH-15 AL (accept acknowledgement always), MSH-16 NE (application acknowledgement never)."""
    msh.msh_3 = text(settings.HL7_APPLICATION)
    msh.msh_4 = text(settings.HL7_FACILITY)
    msh.msh_5 = text(settings.HL7_RECEIVING_APPLICATION)
    msh.msh_6 = text(settings.HL7_RECEIVING_FACILITY)
    msh.msh_7 = when(now)
    msh.msh_9 = message_type
    msh.msh_10 = control_id
    msh.msh_11 = text(settings.HL7_PROCESSING_ID)
    msh.msh_12 = version
    msh.msh_15 = "AL"
    msh.msh_16 = "NE"


def fill_pid(pid, patient) -> None:
    """PID-1 1, PID-3 MRN^^^ISSUER^MR, PID-5 family^given, PID-7 birth date, PID-8 sex:
    identification only, nothing clinical."""
    pid.pid_1 = "1"
    pid.pid_3 = f"{text(patient.mrn)}^^^{text(settings.HL7_MRN_ISSUER)}^MR"
    pid.pid_5 = f"{text(patient.family_name)}^{text(patient.given_name)}"
    if patient.birth_date:  # a record from ADT may lack it (flagged for the schedulers)
        pid.pid_7 = patient.birth_date.strftime("%Y%m%d")
    pid.pid_8 = {"female": "F", "male": "M", "other": "O"}.get(patient.sex, "U")


def placer_number(order) -> str:
    """EI of the placer order number (ORC-2/OBR-2): number^placer system; empty for an order
    entered here (the EHR never placed it)."""
    if not order.placer_order_number:
        return ""
    return f"{text(order.placer_order_number)}^{text(order.placer_system)}"


def filler_number(order) -> str:
    """EI of the filler order number (ORC-3/OBR-3, SCH-27): the accession number^us."""
    return f"{text(order.accession_number)}^{text(settings.HL7_APPLICATION)}"


def procedure_code(procedure, *, coded_as: str = "C4") -> str:
    """CE/CWE of the ordered procedure (OBR-4): its injection CPT, its name, C4 (CPT-4)."""
    return f"{text(procedure.injection_cpt)}^{text(procedure.name)}^{coded_as}"
