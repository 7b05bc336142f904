"""Patient administration in (HL7 v2 ADT, IHE RAD-1 and RAD-12), versions 2.3 to 2.5.1.

The hospital's feed carries every patient and every visit event. The rule: what the product
has a use for changes the patient register through the patients service
(record_patient_from_feed); everything else is acknowledged AA and stored as ignored, never
refused into the engine's error queue. Which event does what is one table, EVENTS (trigger
event → handler): A01/A04/A05 register or update her, A08/A31 update her (a patient the
department does not know is registered only when HL7_ADT_REGISTERS_UNKNOWN is on, otherwise
the message is stored as ignored). A death (PID-29/PID-30) is applied from any ADT event.
Merges (A40, A34, A39) and identifier changes (A47) are rows of the same table, handled by
radiology.interfaces.hl7.adt_merge (PID-3 the survivor or new MRN, MRG-1 the old one).

Read from the message: PID-3 (the MRN by its type or assigning authority, as for orders),
PID-5, PID-7, PID-8, PID-13/14 (radiology.interfaces.hl7.messages reads these as for an
order), PID-15 (primary language), PID-29/PID-30 (death), and the interpreter field the
setting HL7_INTERPRETER_FIELD names (e.g. ZPI-2 or PV2-23). NK1, PV1, PV2, IN1, GT1, AL1,
DG1, OBX and other Z-segments are the hospital's business. The fields, and the ACK for each
refusal: docs/interfaces.md ("Patient administration in (HL7 v2 ADT)").
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from django.conf import settings

from radiology.interfaces.hl7 import adt_merge
from radiology.interfaces.hl7.messages import (
    DATA_TYPE_ERROR,
    NULL,
    SEGMENT_SEQUENCE_ERROR,
    Header,
    MessageRefused,
    _patient,
    _Reader,
    parse,
)
from radiology.models import InterfaceMessage
from radiology.services import patient_merge, patients
from scheduling.clinic_time import clinic_zone

Outcome = InterfaceMessage.Outcome
YES = {"Y", "YES", "1", "T", "TRUE"}
NO = {"N", "NO", "0", "F", "FALSE"}


@dataclass
class AdtMessage:
    header: Header
    # PID as the patients service takes it: only what the message carries.
    patient: dict
    # The message itself, for handlers that read more than PID (a merge's PID/MRG pairs).
    text: str = ""
    # PID-30 (or a date in PID-29): True died, False alive (a correction), None not said.
    deceased: bool | None = None
    deceased_at: datetime | None = None
    extra: dict = field(default_factory=dict)

    @property
    def mrn(self) -> str:
        return self.patient["mrn"]

    @property
    def facts(self) -> dict:
        """Everything the patients service is given, death included."""
        return {**self.patient, **self.extra, "deceased": self.deceased, "deceased_at": self.deceased_at}


@dataclass(frozen=True)
class Applied:
    outcome: str  # Outcome.ACCEPTED or Outcome.IGNORED
    detail: str


def parse_adt_message(text: str, header: Header) -> AdtMessage:
    """The patient in an ADT message, or MessageRefused saying what is wrong."""
    r = _Reader(parse(text), text)
    if not r.count("PID"):
        raise MessageRefused(
            "The message has no PID segment.", ack_code="AR", code=SEGMENT_SEQUENCE_ERROR, location="PID"
        )
    parsed = AdtMessage(header=header, patient=_patient(r), text=text)  # PID-15 with the rest of PID
    interpreter = _interpreter(r)
    if interpreter is not None:
        parsed.extra["interpreter"] = interpreter
    parsed.deceased_at = _death_time(r.get("PID", 29))
    indicator = "N" if r.is_null("PID", 30) else r.get("PID", 30).upper()
    if indicator in YES or (parsed.deceased_at and indicator not in NO):
        parsed.deceased = True
    elif indicator in NO:
        parsed.deceased, parsed.deceased_at = False, None
    return parsed


def _interpreter(r: _Reader) -> bool | None:
    """The field settings.HL7_INTERPRETER_FIELD names ("ZPI-2", "PV2-23", "OBX-5"): Y sets
    the interpreter flag, N or HL7's null clears it, empty or absent says nothing."""
    match = re.fullmatch(r"\s*([A-Z][A-Z0-9]{2})-(\d+)(?:\.(\d+))?\s*", settings.HL7_INTERPRETER_FIELD.upper())
    if match is None:
        return None
    name, number, component = match.group(1), int(match.group(2)), int(match.group(3) or 1)
    if not r.count(name):
        return None
    if r.is_null(name, number):
        return False
    value = r.get(name, number, component).upper()
    if value in YES:
        return True
    return False if value in NO else None


def _death_time(value: str) -> datetime | None:
    """PID-29 (TS/DTM: YYYYMMDD[HHMM[SS]][+ZZZZ]); without an offset, the clinic's time.
    A date without a time is read as the start of that day."""
    if not value or value == NULL:
        return None
    refusal = MessageRefused(
        f'PID-29 "{value}" is not a date and time (YYYYMMDDHHMM).', code=DATA_TYPE_ERROR, location="PID-29"
    )
    match = re.fullmatch(r"(\d{8})(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?", value.strip())
    if match is None:
        raise refusal
    day, hour, minute, second, offset = match.groups()
    try:
        moment = datetime.combine(
            datetime.strptime(day, "%Y%m%d").date(),  # noqa: DTZ007 - the zone is set just below
            time(int(hour or 0), int(minute or 0), int(second or 0)),
        )
    except ValueError:
        raise refusal from None
    if offset:
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        return moment.replace(tzinfo=zone)
    return moment.replace(tzinfo=clinic_zone())


# --- what each event does ------------------------------------------------------------------------


def _register(parsed: AdtMessage, *, now) -> Applied:
    """A01 admit, A04 register, A05 pre-admit: she is registered, or updated when known."""
    known = patients.find_patients(mrn=parsed.mrn).exists()
    patient = patients.record_patient_from_feed(register=True, now=now, **parsed.facts)
    return Applied(Outcome.ACCEPTED, _said(patient, "updated" if known else "registered"))


def _update(parsed: AdtMessage, *, now) -> Applied:
    """A08 update, A31 update person: a known patient is updated; an unknown one is
    registered only when the department takes the whole register (HL7_ADT_REGISTERS_UNKNOWN)."""
    known = patients.find_patients(mrn=parsed.mrn).exists()
    patient = patients.record_patient_from_feed(register=settings.HL7_ADT_REGISTERS_UNKNOWN, now=now, **parsed.facts)
    if patient is None:
        return Applied(
            Outcome.IGNORED,
            f"Patient {parsed.mrn} is not known here; an update does not register her "
            "(HL7_ADT_REGISTERS_UNKNOWN is off).",
        )
    return Applied(Outcome.ACCEPTED, _said(patient, "updated" if known else "registered"))


def _said(patient, done: str) -> str:
    detail = f"Patient {patient.mrn} {done}."
    if patient.missing_details:
        detail += f" Flagged: {', '.join(patient.missing_details)} missing."
    if patient.deceased:
        detail += " Deceased: her upcoming appointments are cancelled and nothing more is sent to her."
    return detail


def _merge_row(handler: Callable[..., str]) -> Callable[..., Applied]:
    """A merge or identifier change (adt_merge): it reads its PID/MRG pairs from the message,
    answers the sentence of its AA, or refuses (MessageRefused)."""

    def run(parsed: AdtMessage, *, now) -> Applied:
        return Applied(Outcome.ACCEPTED, handler(parsed.text, now=now))

    return run


# Trigger event (MSH-9.2) → what it does. An event without a row is stored as ignored.
EVENTS: dict[str, Callable[..., Applied]] = {
    "A01": _register,
    "A04": _register,
    "A05": _register,
    "A08": _update,
    "A31": _update,
    **{trigger: _merge_row(handler) for trigger, handler in adt_merge.HANDLERS.items()},
}


def apply(parsed: AdtMessage, *, now) -> Applied:
    """The event's row of EVENTS; for any other event only a reported death of a known
    patient is applied (A03 discharge with PID-30 Y), the rest is ignored."""
    handler = EVENTS.get(parsed.header.trigger.upper())
    if parsed.header.trigger.upper() in adt_merge.HANDLERS:  # reads its own PID/MRG pairs
        return handler(parsed, now=now)
    # An event for a merged-away MRN is about the record she was merged into.
    survivor = patient_merge.survivor_for_mrn(parsed.mrn)
    if survivor is not None and survivor.mrn.lower() != parsed.mrn.strip().lower():
        parsed.patient["mrn"] = survivor.mrn
    if handler is not None:
        return handler(parsed, now=now)
    if parsed.deceased and patients.find_patients(mrn=parsed.mrn).exists():
        patient = patients.record_patient_from_feed(
            register=False, mrn=parsed.mrn, deceased=True, deceased_at=parsed.deceased_at, now=now
        )
        return Applied(Outcome.ACCEPTED, _said(patient, "recorded as deceased"))
    return Applied(
        Outcome.IGNORED, f"ADT^{parsed.header.trigger or '?'} is not used here; acknowledged and kept, nothing changed."
    )
