"""Reading HL7 v2 order messages (ORM^O01 v2.3–2.5.1, OMG^O19) into plain values (the
header check and the PID reading are shared with ADT: radiology.interfaces.hl7.adt).

hl7apy parses the message (segments, encoding characters, version); fields are read by
position, the same in every accepted version, so a CE in 2.3.1 and a CWE in 2.5.1 read
alike. HL7's null (`""`, "delete the value") is never read as a value: a field that can be
cleared comes out as "" (or None for a date), one that cannot is left out; an empty field
is left out too, so the stored value stays. Contact data is read by radiology.contact, and
never refused. Nothing here touches the database: radiology.interfaces.hl7.intake does,
through the services. The fields read are listed in docs/interfaces.md ("Orders in (HL7 v2)").
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from hl7apy.exceptions import HL7apyException
from hl7apy.parser import parse_message

from radiology import contact, rules
from radiology.models import Order
from radiology.services.patients import spoken_language

ACCEPTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")
ACCEPTED_TYPES = {("ORM", "O01"), ("OMG", "O19")}
# Patient administration: any trigger event (radiology.interfaces.hl7.adt).
ADT = "ADT"
# DC (discontinue) ends an order as CA does: the EHR will not want it done.
ORDER_CONTROLS = {"NW": "new", "XO": "change", "CA": "cancel", "OC": "cancel", "DC": "cancel"}
# HL7's explicit null: "delete the stored value".
NULL = '""'

# HL7 table 0357, message error condition codes, as used in ERR.
SEGMENT_SEQUENCE_ERROR = "100"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
TABLE_VALUE_NOT_FOUND = "103"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT = "201"
UNSUPPORTED_PROCESSING_ID = "202"
UNSUPPORTED_VERSION = "203"
UNKNOWN_KEY = "204"
DUPLICATE_KEY = "205"
APPLICATION_ERROR = "207"

ERROR_NAMES = {
    SEGMENT_SEQUENCE_ERROR: "Segment sequence error",
    REQUIRED_FIELD_MISSING: "Required field missing",
    DATA_TYPE_ERROR: "Data type error",
    TABLE_VALUE_NOT_FOUND: "Table value not found",
    UNSUPPORTED_MESSAGE_TYPE: "Unsupported message type",
    UNSUPPORTED_EVENT: "Unsupported event code",
    UNSUPPORTED_PROCESSING_ID: "Unsupported processing id",
    UNSUPPORTED_VERSION: "Unsupported version id",
    UNKNOWN_KEY: "Unknown key identifier",
    DUPLICATE_KEY: "Duplicate key identifier",
    APPLICATION_ERROR: "Application internal error",
}


class MessageRefused(Exception):
    """The message cannot be taken: `ack_code` AR (rejected as a message) or AE (an error
    in its content), a sentence for MSA-3/ERR, the table 0357 code and where (e.g. PID-3)."""

    def __init__(self, text: str, *, ack_code: str = "AE", code: str = APPLICATION_ERROR, location: str = ""):
        super().__init__(text)
        self.text, self.ack_code, self.code, self.location = text, ack_code, code, location


@dataclass(frozen=True)
class Header:
    """MSH, read leniently so that even a message we cannot parse gets a proper ACK."""

    sending_application: str = ""
    sending_facility: str = ""
    message_type: str = ""
    trigger: str = ""
    control_id: str = ""
    processing_id: str = ""
    version: str = ""
    charset: str = ""
    field_separator: str = "|"

    @property
    def sender(self) -> str:
        return "@".join(p for p in (self.sending_application, self.sending_facility) if p)[:200]

    @property
    def type_label(self) -> str:
        return "^".join(p for p in (self.message_type, self.trigger) if p)


@dataclass
class OrderMessage:
    header: Header
    order_control: str
    placer_system: str
    placer_order_number: str
    patient: dict
    # OBR-4's identifier, then its alternate (CE-4): the first our catalog knows is the procedure.
    procedure_codes: list[str]
    procedure_text: str
    # Only what the message carries: a change (XO) leaves the rest of the order as it is.
    facts: dict = field(default_factory=dict)
    cancel_reason: str = ""


def segment_lines(text: str) -> list[str]:
    """The message's segments. <CR> ends a segment (and <CR><LF>, as many engines write it); a
    bare <LF> is then data inside a field (a comment's line break), never a segment break, so
    text after it that looks like a segment is not read as one. Only a message with no <CR> at
    all is taken to use <LF> as its segment separator."""
    lines = re.split(r"\r\n?", text) if "\r" in text else text.split("\n")
    return [line for line in lines if line.strip()]


def for_parser(text: str) -> str:
    """The message as hl7apy reads it (segments by <CR>): a line break kept inside a field is
    a space to the parser, which only checks the syntax; fields are read from segment_lines."""
    return "\r".join(line.replace("\n", " ") for line in segment_lines(text))


def parse(text: str):
    """hl7apy's reading of the message (syntax, encoding characters), or MessageRefused."""
    try:
        return parse_message(for_parser(text), find_groups=False)
    except HL7apyException as error:
        raise MessageRefused(f"The message cannot be parsed: {error}", ack_code="AR", code=DATA_TYPE_ERROR) from None


def read_header(text: str) -> Header | None:
    match = re.match(r"MSH(.)", text)
    if match is None:
        return None
    separator = match.group(1)
    first_line = re.split(r"[\r\n]", text[:65536], maxsplit=1)[0]
    fields = [""] + first_line.split(separator)  # fields[n] is MSH-n (MSH-1 is the separator itself)
    encoding = fields[2] if len(fields) > 2 else "^~\\&"
    component = encoding[0] if encoding else "^"
    repetition = encoding[1] if len(encoding) > 1 else "~"

    def get(n: int, part: int = 0) -> str:
        if n >= len(fields):
            return ""
        return fields[n].split(component)[part].strip() if len(fields[n].split(component)) > part else ""

    return Header(
        sending_application=get(3),
        sending_facility=get(4),
        message_type=get(9, 0),
        trigger=get(9, 1),
        control_id=(fields[10].strip() if len(fields) > 10 else "")[:200],
        processing_id=get(11),
        version=get(12),
        # MSH-18 may repeat (a second set for escapes); the first is the message's own.
        charset=(fields[18].split(repetition)[0].strip() if len(fields) > 18 else ""),
        field_separator=separator,
    )


def check_header(header: Header, processing_ids) -> None:
    if not header.control_id:
        raise MessageRefused("MSH-10 (message control ID) is empty.", ack_code="AR", code=REQUIRED_FIELD_MISSING)
    if header.version not in ACCEPTED_VERSIONS:
        raise MessageRefused(
            f'HL7 version "{header.version}" is not accepted; send {", ".join(ACCEPTED_VERSIONS)}.',
            ack_code="AR",
            code=UNSUPPORTED_VERSION,
            location="MSH-12",
        )
    if header.message_type not in {t for t, _ in ACCEPTED_TYPES} | {ADT}:
        raise MessageRefused(
            f'Message type "{header.type_label}" is not accepted; send ORM^O01, OMG^O19 or ADT.',
            ack_code="AR",
            code=UNSUPPORTED_MESSAGE_TYPE,
            location="MSH-9",
        )
    # Every ADT event is taken (those of no use here are stored as ignored: hl7.adt).
    any_adt_event = header.message_type == ADT and bool(header.trigger)
    if (header.message_type, header.trigger) not in ACCEPTED_TYPES and not any_adt_event:
        raise MessageRefused(
            f'Event "{header.type_label}" is not accepted; send ORM^O01, OMG^O19 or an ADT event.',
            ack_code="AR",
            code=UNSUPPORTED_EVENT,
            location="MSH-9",
        )
    if header.processing_id not in processing_ids:
        raise MessageRefused(
            f'Processing ID "{header.processing_id}" is not accepted here ({", ".join(processing_ids)}).',
            ack_code="AR",
            code=UNSUPPORTED_PROCESSING_ID,
            location="MSH-11",
        )


class _Reader:
    """Fields by position, read from the message text itself (hl7apy's re-serialisation
    may regroup components a datatype does not define): reader.get("ORC", 12, 2)."""

    def __init__(self, message, text: str):
        chars = message.encoding_chars
        self.component, self.repetition = chars["COMPONENT"], chars["REPETITION"]
        self.subcomponent, self.escape = chars["SUBCOMPONENT"], chars["ESCAPE"]
        self.field_sep = chars["FIELD"]
        self.segments: dict[str, list[list[str]]] = {}
        for line in segment_lines(text):
            fields = line.split(self.field_sep)
            if fields[0] == "MSH":
                fields = [fields[0], self.field_sep, *fields[1:]]
            self.segments.setdefault(fields[0], []).append(fields)

    def count(self, name: str) -> int:
        return len(self.segments.get(name, []))

    def repetitions(self, name: str, n: int, *, segment=None) -> list[list[str]]:
        """Each repetition of field n as its components (unescaped, first subcomponent)."""
        segment = segment if segment is not None else (self.segments.get(name) or [None])[0]
        if segment is None:
            return []
        raw = segment[n] if n < len(segment) else ""
        if not raw:
            return []
        return [
            [self._unescape(c.split(self.subcomponent)[0]).strip() for c in rep.split(self.component)]
            for rep in raw.split(self.repetition)
        ]

    def get(self, name: str, n: int, component: int = 1, *, segment=None) -> str:
        """One component of the first repetition; HL7's null reads as "" (never as a value)."""
        reps = self.repetitions(name, n, segment=segment)
        if not reps or len(reps[0]) < component:
            return ""
        value = reps[0][component - 1]
        return "" if value == NULL else value

    def is_null(self, name: str, n: int, *, segment=None) -> bool:
        """The field is HL7's null, `""`: the sender asks us to delete the stored value."""
        segment = segment if segment is not None else (self.segments.get(name) or [None])[0]
        return segment is not None and n < len(segment) and segment[n].strip() == NULL

    def text(self, name: str, n: int, *, segment=None) -> str:
        """A whole text field (ST/TX/FT): components joined back, repetitions as lines."""
        if self.is_null(name, n, segment=segment):
            return ""
        return "\n".join(self.component.join(rep).strip() for rep in self.repetitions(name, n, segment=segment)).strip()

    def _unescape(self, value: str) -> str:
        e = self.escape
        if e not in value:
            return value
        table = {"F": self.field_sep, "S": self.component, "T": self.subcomponent, "R": self.repetition, "E": e}

        def replace(match):
            code = match.group(1)
            if code in table:
                return table[code]
            if code.startswith("X"):
                try:
                    return bytes.fromhex(code[1:]).decode("utf-8")
                except ValueError:
                    return ""
            return "\n" if code == ".br" else ""

        return re.sub(re.escape(e) + r"([^" + re.escape(e) + r"]*)" + re.escape(e), replace, value)


def parse_order_message(text: str, header: Header) -> OrderMessage:
    """The order in an accepted message, or MessageRefused saying what is wrong."""
    r = _Reader(parse(text), text)
    for name in ("PID", "ORC", "OBR"):
        if not r.count(name):
            raise MessageRefused(
                f"The message has no {name} segment.", ack_code="AR", code=SEGMENT_SEQUENCE_ERROR, location=name
            )
    if r.count("ORC") > 1 or r.count("OBR") > 1:
        raise MessageRefused(
            "Send one order (one ORC and one OBR) per message.", code=SEGMENT_SEQUENCE_ERROR, location="ORC"
        )
    control = r.get("ORC", 1).upper()
    if control not in ORDER_CONTROLS:
        raise MessageRefused(
            f'Order control "{control}" is not handled; send NW, XO, CA, OC or DC.',
            code=TABLE_VALUE_NOT_FOUND,
            location="ORC-1",
        )
    placer_number = r.get("ORC", 2) or r.get("OBR", 2)
    if not placer_number:
        raise MessageRefused("ORC-2 (placer order number) is empty.", code=REQUIRED_FIELD_MISSING, location="ORC-2")
    placer_system = r.get("ORC", 2, 2) or r.get("OBR", 2, 2) or header.sending_application
    order = OrderMessage(
        header=header,
        order_control=control,
        placer_system=placer_system[:64],
        placer_order_number=placer_number[:64],
        patient=_patient(r),
        procedure_codes=[code for code in (r.get("OBR", 4, 1), r.get("OBR", 4, 4)) if code],
        procedure_text=r.get("OBR", 4, 2) or r.get("OBR", 4, 5),
    )
    if ORDER_CONTROLS[control] == "cancel":
        reason = r.get("ORC", 16, 2) or r.get("ORC", 16, 1)
        order.cancel_reason = (
            reason or f"Cancelled by {header.sending_application or 'the ordering system'} ({control})"
        )
        return order
    if not order.procedure_codes:
        raise MessageRefused(
            "OBR-4 (universal service ID) is empty: send our procedure code or a CPT code in OBR-4.1 or OBR-4.4.",
            code=REQUIRED_FIELD_MISSING,
            location="OBR-4",
        )
    order.facts = {**_physician(r), **_priority(r), **_observations(r), **_notes(r)}
    return order


SEX = {"F": "female", "M": "male", "O": "other", "A": "other", "N": "other", "U": "unknown"}


# What the patient record can hold, per PID field: a longer value is named in the AE (never
# a "please resend", which the engine would repeat for ever).
PATIENT_LIMITS = {"mrn": "PID-3", "family_name": "PID-5.1", "given_name": "PID-5.2"}


def _check_lengths(patient: dict) -> None:
    """A value the record cannot hold, or a name with a control character (radiology.rules),
    is a data type error at its PID field."""
    from radiology.models import Patient  # the record's own limits: one place for them

    for name, location in PATIENT_LIMITS.items():
        problem = rules.names_problem(**{name: patient.get(name)}) if name in rules.NAME_FIELDS else None
        if problem:
            raise MessageRefused(f"{location}: {problem[1]}", code=DATA_TYPE_ERROR, location=location)
        value, limit = patient.get(name) or "", Patient._meta.get_field(name).max_length
        if len(value) > limit:
            raise MessageRefused(
                f"{location} is {len(value)} characters long; the patient record holds at most {limit}.",
                code=DATA_TYPE_ERROR,
                location=location,
            )


def _patient(r: _Reader) -> dict:
    """PID as the patients service takes it: only what the message carries (None or absent:
    leave hers; "" for a phone or e-mail: delete it)."""
    patient = {"mrn": _mrn(r)}
    family, given = r.get("PID", 5, 1), r.get("PID", 5, 2)
    if family:
        patient["family_name"] = family
    if given:
        patient["given_name"] = given
    birth = r.get("PID", 7)
    if birth:
        patient["birth_date"] = _date(birth, "PID-7")
    if r.is_null("PID", 8):
        patient["sex"] = "unknown"
    elif r.get("PID", 8):
        # An unknown code: a known patient keeps hers, a new one is registered as unknown.
        patient["sex"] = SEX.get(r.get("PID", 8).upper())
    patient.update(_contacts(r))
    # PID-15, her primary language, in orders as in ADT: one we speak becomes hers, any other
    # flags an interpreter (the patients service's rule). HL7's null sets English again.
    if r.is_null("PID", 15):
        patient["language"] = ""
    elif r.repetitions("PID", 15):
        patient["language"] = _language(r.get("PID", 15, 1), r.get("PID", 15, 2))
    _check_lengths(patient)
    return patient


def _language(code: str, text: str) -> str:
    """PID-15 (CE: identifier^text^system) as the service reads it: whichever part names a
    language we speak, else the text as sent (shown with the interpreter flag)."""
    for sent in (code, text):
        if sent and spoken_language(sent):
            return sent
    return text or code


def _mrn(r: _Reader, segment: str = "PID", n: int = 3) -> str:
    """PID-3 (or another CX list, e.g. MRG-1 in a merge): the repetition typed MR (CX-5), else
    the one assigned by the hospital's authority (CX-4, settings.HL7_MRN_AUTHORITY); a lone
    identifier with neither is taken as it is. Never the first of several by default: it may
    be a national or insurance id."""
    location = f"{segment}-{n}"
    ids = [rep + [""] * 5 for rep in r.repetitions(segment, n) if rep and rep[0] and rep[0] != NULL]
    if not ids:
        raise MessageRefused(
            f"{location} (patient identifier, the MRN) is empty.", code=REQUIRED_FIELD_MISSING, location=location
        )
    authority = settings.HL7_MRN_AUTHORITY.upper()
    for chosen in (
        [cx for cx in ids if cx[4].upper() == "MR"],
        [cx for cx in ids if authority and cx[3].upper() == authority],
        [cx for cx in ids if len(ids) == 1 and not cx[3] and not cx[4]],
    ):
        if chosen:
            return chosen[0][0]
    sent = ", ".join("^".join(cx[:5]).rstrip("^") for cx in ids)[:120]
    raise MessageRefused(
        f'{location} ({sent}) has no identifier typed MR (CX-5) and none assigned by "{settings.HL7_MRN_AUTHORITY}" '
        "(CX-4, the setting HL7_MRN_AUTHORITY): type the MRN as MR, or set HL7_MRN_AUTHORITY to the "
        "hospital's assigning authority.",
        code=REQUIRED_FIELD_MISSING,
        location=location,
    )


def _contacts(r: _Reader) -> dict:
    """PID-13 (home) and PID-14 (business): an `@` in XTN-4 (or XTN-1) is an e-mail whatever
    XTN-2/3 say; of the numbers a mobile (XTN-3 `CP`) is preferred for texts over the first
    other one. A null PID-13 deletes the phone and e-mail it would carry."""
    phones, emails = [], []
    for rep in r.repetitions("PID", 13) + r.repetitions("PID", 14):
        xtn = [("" if c == NULL else c) for c in rep] + [""] * 9
        address = next((c for c in (xtn[3], xtn[0]) if "@" in c), "")
        if address or xtn[1].upper() == "NET" or xtn[2].upper() in ("INTERNET", "X.400"):
            emails.append(address or xtn[3] or xtn[0])
            continue
        number = _xtn_number(xtn)
        if number:
            phones.append((xtn[2].upper() != "CP", len(phones), number))
    found = {}
    if phones:
        found["phone"] = min(phones)[2]
    if emails and emails[0]:
        found["email"] = emails[0]
    if r.is_null("PID", 13):
        found.setdefault("phone", "")
        found.setdefault("email", "")
    return found


def _xtn_number(xtn: list[str]) -> str:
    """XTN-5/6/7 (country, area, local number), else XTN-1 (a formatted number), as text for
    radiology.contact. Without a country code the number stays national, to be read in the
    department's region: no country code is invented."""
    country, area, local = (xtn + [""] * 7)[4:7]
    if area or local:
        national = f"{area} {local}".strip()
        return f"+{country.lstrip('+')} {national}" if country else national
    return xtn[0]


# HL7 DT, or the date of a TS/DTM: YYYYMMDD, then for a TS a time and zone. A shorter value
# ("2026023") is not read as a date with a guessed day.
DATE_VALUE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:[0-9.+-]*)")


def _date(value: str, location: str) -> date | None:
    if not value:
        return None
    match = DATE_VALUE.fullmatch(value.strip())
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise MessageRefused(
            f'{location} "{value[:40]}" is not a date (YYYYMMDD).', code=DATA_TYPE_ERROR, location=location
        ) from None


def _physician(r: _Reader) -> dict:
    """ORC-12 (else OBR-16) ordering provider, XCN: id^family^given; the id is taken as the
    NPI when its identifier type (XCN-13) or assigning authority (XCN-9) says NPI."""
    source = "ORC" if r.repetitions("ORC", 12) else "OBR"
    number = 12 if source == "ORC" else 16
    reps = r.repetitions(source, number)
    facts = {}
    if reps:
        xcn = reps[0] + [""] * 13
        facts["referring_physician_family_name"] = xcn[1][:100]
        facts["referring_physician_given_name"] = xcn[2][:100]
        if "NPI" in (xcn[12].upper(), xcn[8].upper()):
            facts["referring_physician_npi"] = xcn[0]
    phones = r.repetitions("ORC", 14) or r.repetitions("OBR", 17)
    if phones:
        number = _xtn_number([("" if c == NULL else c) for c in phones[0]])
        e164, as_sent = contact.read_phone(number)
        facts["referring_physician_phone"] = (e164 or as_sent)[:40]
    return facts


def _priority(r: _Reader) -> dict:
    """TQ1-9 (2.5), else the priority component of OBR-27 / ORC-7: S (stat) and A (as soon
    as possible) are urgent, R routine."""
    code = r.get("TQ1", 9) or r.get("OBR", 27, 6) or r.get("ORC", 7, 6)
    if not code:
        return {}
    return {"priority": "urgent" if code.upper() in ("S", "A", "STAT", "ASAP") else "routine"}


# OBX-3 codes (local, "L"): OBX-3.1 → order field, and how OBX-5 is read.
OBX_CODES = {
    "SIDE": "side",
    "INDICATION": "indication",
    "INDICATION_TEXT": "indication_other",
    "DISCHARGE_COLOUR": "discharge_colour",
    "DISCHARGE_COLOR": "discharge_colour",
    "DISCHARGE_DUCTS": "discharge_ducts",
    "PRIOR_IMAGING": "prior_imaging_kind",
    "PRIOR_IMAGING_DATE": "prior_imaging_date",
    "PRIOR_IMAGING_WHERE": "prior_imaging_where",
    "PREGNANCY": "pregnancy_status",
    "LACTATING": "lactating",
}
SIDES = {"L": "left", "LEFT": "left", "R": "right", "RIGHT": "right"}
YES_NO = {"Y": True, "N": False, "U": None}
PREGNANCY = {"Y": "pregnant", "N": "not_pregnant", "U": "unknown"}
TEXT_FIELDS = {"indication_other", "prior_imaging_where"}


def _reason_for_study(r: _Reader) -> dict:
    """OBR-31: one of our indication codes, or (ICD-10 and the like, as Epic and Cerner send
    it) the indication "other" with its text, coding system and code kept as its text."""
    reps = r.repetitions("OBR", 31)
    if not reps:
        return {}
    code, text, system = ([("" if c == NULL else c) for c in reps[0]] + [""] * 3)[:3]
    if code.lower() in Order.Indication.values:
        return {"indication": code.lower()}
    if not code and not text:
        return {}
    coded = " ".join(p for p in (system, code) if p)
    label = f"{text} ({coded})" if text and coded else text or coded
    return {"indication": Order.Indication.OTHER, "indication_other": label[:300]}


def _observations(r: _Reader) -> dict:
    # OBR-31, reason for study, may carry the indication; an OBX overrides it.
    reason = _reason_for_study(r)
    facts = dict(reason)
    sides_sent = []  # as the OBX said them, for a refusal naming both
    for segment in r.segments.get("OBX", []):
        code = r.get("OBX", 3, segment=segment).upper()
        name = OBX_CODES.get(code)
        if name is None:
            continue  # other observations are the EHR's business
        location = f"OBX-5 ({code})"
        if r.is_null("OBX", 5, segment=segment):
            facts[name] = None if name in ("prior_imaging_date", "lactating") else ""
            continue
        if name in TEXT_FIELDS:
            facts[name] = r.text("OBX", 5, segment=segment)[:300]
            continue
        value = r.get("OBX", 5, segment=segment)
        if not value:
            continue  # an empty observation leaves the fact as it was
        if name == "prior_imaging_date":
            facts[name] = _date(value, location)
        elif name == "side":
            if value.upper() not in SIDES:
                raise MessageRefused(
                    f'Side "{value}" is not L or R (a galactogram examines one breast).',
                    code=TABLE_VALUE_NOT_FOUND,
                    location=location,
                )
            side = SIDES[value.upper()]
            if facts.get(name, side) != side:
                raise MessageRefused(
                    f"Two side observations disagree: {sides_sent[0]} then {value} (OBX-5 (SIDE)); a galactogram "
                    "examines one breast: send one side.",
                    code=TABLE_VALUE_NOT_FOUND,
                    location=location,
                )
            sides_sent.append(value)
            facts[name] = side
        elif name == "lactating":
            if value.upper() not in YES_NO:
                raise MessageRefused(
                    f'Lactating "{value}" is not Y, N or U.', code=TABLE_VALUE_NOT_FOUND, location=location
                )
            facts[name] = YES_NO[value.upper()]
        elif name == "pregnancy_status":
            facts[name] = PREGNANCY.get(value.upper(), value.lower())
        else:
            facts[name] = value.lower()
    if facts.get("indication") != Order.Indication.OTHER and facts.get("indication_other") == reason.get(
        "indication_other"
    ):
        facts.pop("indication_other", None)  # an OBX indication replaced OBR-31's text
    return facts


def _notes(r: _Reader) -> dict:
    """OBR-13 (relevant clinical information) and the NTE comments become the order's note."""
    parts = []
    clinical = r.text("OBR", 13)
    if clinical:
        parts.append(f"Clinical information: {clinical}")
    parts += [r.text("NTE", 3, segment=s) for s in r.segments.get("NTE", []) if r.text("NTE", 3, segment=s)]
    return {"note": "\n".join(parts)} if parts else {}
