"""One received HL7 message in, one ACK out: the listener's whole job, minus the socket.

Every message is stored with its outcome and the exact reply. Its changes (the patient,
the order, a cancelled appointment) and its stored row commit in one transaction, so a
message is applied once or not at all; a repeat of an accepted message (same sender and
MSH-10) gets the stored reply again, byte for byte, and changes nothing. A refused
message (AE, AR) writes nothing but its row, and is processed again when resent: the
sender has fixed what the reply said. The rules are the services': radiology.services.
patients and radiology.services.orders, with actor=None (the system, for the EHR). Orders
are read by hl7.messages, patient administration (ADT) by hl7.adt.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from notifications.channels.mllp import RefusedFrame
from procedures.models import Procedure
from radiology.errors import ServiceRefusal
from radiology.interfaces.hl7 import adt, messages
from radiology.interfaces.hl7.ack import build_ack
from radiology.interfaces.hl7.messages import Header, MessageRefused, OrderMessage
from radiology.models import InterfaceMessage, Order
from radiology.services import orders, patient_merge, patients

log = logging.getLogger(__name__)
Outcome = InterfaceMessage.Outcome

# MSH-18 values (HL7 table 0211, and UTF-8 as some engines write it) and the Python codecs
# they name. "UNICODE" (2.3) is read as UTF-8, as the senders that use it write it.
CHARSETS = {
    "": None,
    "ASCII": "ascii",
    "ISO IR6": "ascii",
    **{f"8859/{n}": f"iso8859_{n}" for n in range(1, 10)},
    "8859/15": "iso8859_15",
    "ISO IR14": "iso2022_jp",
    "ISO IR87": "iso2022_jp",
    "ISO IR159": "iso2022_jp_2",
    "ISO IR100": "latin-1",
    "ISO IR192": "utf-8",
    "UNICODE": "utf-8",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "UNICODE UTF-16": "utf-16",
    "UNICODE UTF-32": "utf-32",
    "GB 18030-2000": "gb18030",
    "KS X 1001": "euc_kr",
    "CNS 11643-1992": "euc_tw",
    "BIG-5": "big5",
}


@dataclass(frozen=True)
class Reply:
    data: bytes
    message: InterfaceMessage | None  # None only when the database could not take the row


def receive(data: bytes, *, peer: str = "", now: datetime | None = None) -> Reply:
    """Take one message (the bytes inside an MLLP frame) and return the ACK to send."""
    now = now or timezone.now()
    header = messages.read_header(data.decode("latin-1"))  # MSH is ASCII in every charset
    encoding = _encoding(header, data)
    try:
        text = data.decode(encoding or "utf-8")
    except (UnicodeDecodeError, LookupError):
        charset = header.charset if header else ""
        known = charset.upper() in CHARSETS
        refusal = MessageRefused(
            f'The message is not valid {encoding} (MSH-18 "{charset}").'
            if known
            else f'MSH-18 "{charset}" is not a character set of HL7 table 0211 and the message is not plain '
            "ASCII; send one of the table's values (e.g. UNICODE UTF-8 or 8859/1).",
            ack_code="AR",
            code=messages.DATA_TYPE_ERROR if known else messages.TABLE_VALUE_NOT_FOUND,
            location="MSH-18",
        )
        return _refuse(data.decode("latin-1"), header, refusal, peer=peer, now=now, encoding="latin-1")
    if "\x00" in text:
        return _refuse(text, header, _nul_refusal(text), peer=peer, now=now, encoding=encoding)
    if header is None:
        refusal = MessageRefused(
            "This is not an HL7 v2 message: it does not start with MSH.",
            ack_code="AR",
            code=messages.SEGMENT_SEQUENCE_ERROR,
            location="MSH",
        )
        return _refuse(text, None, refusal, peer=peer, now=now, encoding=encoding)
    segments = len(messages.segment_lines(text))
    if segments > settings.HL7_MAX_SEGMENTS:
        # Before hl7apy: its reading costs about half a millisecond a segment, so a frame of
        # tens of thousands of short segments would hold a CPU for most of a minute.
        refusal = MessageRefused(
            f"The message has {segments} segments; at most {settings.HL7_MAX_SEGMENTS} are read. Send one order "
            "or one patient event per message.",
            ack_code="AR",
            code=messages.APPLICATION_ERROR,
            location="MSH",
        )
        return _refuse(text, header, refusal, peer=peer, now=now, encoding=encoding)
    original = _processed(header)
    if original is not None:
        return _duplicate(text, header, original, peer=peer, now=now, encoding=encoding)
    try:
        messages.check_header(header, settings.HL7_PROCESSING_IDS)
        if header.message_type == messages.ADT:
            return _receive_adt(text, header, peer=peer, now=now, encoding=encoding)
        parsed = messages.parse_order_message(text, header)
        with transaction.atomic():
            order, detail = _apply(parsed, now=now)
            reply = build_ack(header, code="AA", text=detail, now=now)
            stored = _store(
                text, header, Outcome.ACCEPTED, detail, reply, peer=peer, now=now, order=order, parsed=parsed
            )
        return Reply(reply.encode(encoding), stored)
    except MessageRefused as refusal:
        return _refuse(text, header, refusal, peer=peer, now=now, encoding=encoding)
    except ServiceRefusal as error:
        refusal = MessageRefused(error.message, code=_error_code(error), location=_location(error))
        return _refuse(text, header, refusal, peer=peer, now=now, encoding=encoding)
    except IntegrityError:
        # The same message, processed on another connection a moment ago.
        original = _processed(header)
        if original is None:
            raise
        return _duplicate(text, header, original, peer=peer, now=now, encoding=encoding)


def _nul_refusal(text: str) -> MessageRefused:
    """A NUL byte is no character of any HL7 character set (and the database cannot keep it):
    the sender is told where it is, so that the interface analyst can find the source."""
    before = text[: text.index("\x00")]
    # Split as segment_lines splits the whole message, keeping the segment the NUL is in.
    segments = re.split(r"\r\n?", before) if "\r" in text else before.split("\n")
    segment = segments[-1][:3] if segments and segments[-1][:3].isalnum() else "MSH"
    field = segments[-1].count("|") if segments else 0
    location = f"{segment}-{field}" if field else segment
    return MessageRefused(
        f"The message holds a NUL byte (in {location}, segment {len(segments)}), which no HL7 character set "
        "allows: remove it at the source and send the message again.",
        ack_code="AR",
        code=messages.DATA_TYPE_ERROR,
        location=location,
    )


REFUSED_FRAME_TEXT = {
    "too_large": "The message is {size} bytes long; at most {limit} bytes are read. Send one order or one patient "
    "event per message.",
    "too_slow": "The message did not arrive whole within {seconds:g} s of its first byte ({size} bytes came).",
}


def receive_refused_frame(refused: RefusedFrame, *, peer: str = "", now: datetime | None = None) -> Reply:
    """A frame the listener would not take whole (hl7.mllp: too large, or trickling in past
    the frame time): a row on Interface messages with its first bytes, and the AR to send,
    addressed from its MSH, which is all of it that was kept."""
    now = now or timezone.now()
    head = refused.head.decode("latin-1")
    header = messages.read_header(head)
    sentence = REFUSED_FRAME_TEXT[refused.reason].format(
        size=refused.size, limit=settings.HL7_MAX_MESSAGE_BYTES, seconds=settings.HL7_FRAME_SECONDS
    )
    refusal = MessageRefused(sentence, ack_code="AR", code=messages.APPLICATION_ERROR, location="MSH" if header else "")
    kept = f"{head}\n[... {refused.size - len(refused.head)} more bytes not kept]"
    reply = build_ack(header, code="AR", text=refusal.text, error_code=refusal.code, location=refusal.location, now=now)
    stored = _store(kept, header, Outcome.REJECTED, refusal.text, reply, peer=peer, now=now)
    return Reply(reply.encode("ascii", "replace"), stored)


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL: kept visible, so that the row and the reply are written.
    return value.replace("\x00", "\u2400")


def receive_safely(data: bytes, *, peer: str = "") -> Reply:
    """receive(), and for a failure of ours an AE that invites a resend (the row is kept as
    `failed`, which does not count as processed)."""
    try:
        return receive(data, peer=peer)
    except Exception:
        log.exception("hl7: message from %s failed", peer)
        now = timezone.now()
        header = messages.read_header(data.decode("latin-1"))
        text = "The order system could not process the message; please resend it."
        reply = build_ack(header, code="AE", text=text, error_code=messages.APPLICATION_ERROR, now=now)
        encoded = reply.encode(_encoding(header, data) or "utf-8", "replace")
        try:
            stored = _store(data.decode("utf-8", "replace"), header, Outcome.FAILED, text, reply, peer=peer, now=now)
        except Exception:
            # The failure was the database itself (down, restarting): no row can be written,
            # but the engine still gets its AE and resends, instead of waiting on a silent socket.
            log.exception("hl7: message from %s could not be recorded", peer)
            stored = None
        return Reply(encoded, stored)


def _receive_adt(text, header, *, peer, now, encoding) -> Reply:
    """Patient administration (hl7.adt): applied, or kept as ignored, and answered AA; a
    refusal propagates to receive() like an order's."""
    parsed = adt.parse_adt_message(text, header)
    with transaction.atomic():
        try:
            applied = adt.apply(parsed, now=now)
        except ServiceRefusal as error:
            raise _patient_refusal(error, parsed.mrn) from None
        reply = build_ack(header, code="AA", text=applied.detail, now=now)
        stored = _store(text, header, applied.outcome, applied.detail, reply, peer=peer, now=now)
    return Reply(reply.encode(encoding), stored)


# --- applying an order message ---------------------------------------------------------------


def _apply(parsed: OrderMessage, *, now) -> tuple[Order, str]:
    control = messages.ORDER_CONTROLS[parsed.order_control]
    _follow_merge(parsed)
    if control == "new":
        patient = _patient(parsed, now=now)
        order = orders.create_order(
            actor=None,
            patient=patient,
            procedure=_procedure(parsed),
            placer_system=parsed.placer_system,
            placer_order_number=parsed.placer_order_number,
            received_at=now,
            now=now,
            **parsed.facts,
        )
        return order, f"Order {order.accession_number} created."
    order = _existing_order(parsed)
    if control == "change":
        _patient(parsed, now=now)
        order = orders.update_order(order_id=order.pk, actor=None, procedure=_procedure(parsed), **parsed.facts)
        return order, f"Order {order.accession_number} updated."
    order = orders.cancel_order(order_id=order.pk, reason=parsed.cancel_reason, actor=None, now=now)
    return order, f"Order {order.accession_number} cancelled."


def _follow_merge(parsed: OrderMessage) -> None:
    """An order for a merged-away MRN (ADT^A40 came first) is hers under the surviving MRN;
    the MRN it was sent under goes into the order's note."""
    sent = parsed.patient["mrn"]
    survivor = patient_merge.survivor_for_mrn(sent)
    if survivor is None or survivor.mrn.lower() == sent.strip().lower():
        return
    parsed.patient["mrn"] = survivor.mrn
    # A change without a note leaves the order's note alone; a new order always says it.
    if "note" in parsed.facts or messages.ORDER_CONTROLS[parsed.order_control] == "new":
        note = f"Ordered under MRN {sent}, merged into MRN {survivor.mrn}."
        parsed.facts["note"] = "\n".join(p for p in (note, parsed.facts.get("note", "")) if p)


# Patient fields and the PID field that carries each, for a refusal's ERR location.
PATIENT_LOCATIONS = {
    "mrn": "PID-3",
    "family_name": "PID-5",
    "given_name": "PID-5",
    "birth_date": "PID-7",
    "sex": "PID-8",
    "phone": "PID-13",
    "email": "PID-13",
}


def _patient(parsed: OrderMessage, *, now):
    try:
        return patients.register_or_update_patient(actor=None, now=now, **parsed.patient)
    except ServiceRefusal as error:
        raise _patient_refusal(error, parsed.patient["mrn"]) from None


def _patient_refusal(error: ServiceRefusal, mrn: str) -> MessageRefused:
    """The patients service's refusal as an AE naming the PID field (orders and ADT)."""
    location = next((PATIENT_LOCATIONS[f] for f in error.fields if f in PATIENT_LOCATIONS), "PID")
    code = messages.REQUIRED_FIELD_MISSING if error.code == "required" else _error_code(error)
    return MessageRefused(f"Patient {mrn}: {error.message}", code=code, location=location)


def _procedure(parsed: OrderMessage) -> Procedure:
    """OBR-4 names the procedure by our slug or one of its CPT codes (19030, 77053, 77054):
    its identifier (CE-1), else its alternate identifier (CE-4), as most EHRs send a CPT."""
    for code in parsed.procedure_codes:
        procedure = (
            Procedure.objects.filter(active=True)
            .filter(
                Q(slug__iexact=code) | Q(injection_cpt=code) | Q(imaging_cpt_single=code) | Q(imaging_cpt_multiple=code)
            )
            .order_by("pk")
            .first()
        )
        if procedure is not None:
            return procedure
    sent = " or ".join(f'"{code}"' for code in parsed.procedure_codes)
    raise MessageRefused(
        f"Procedure code {sent} is not one we perform (send galactogram, 19030, 77053 or 77054 in OBR-4.1 or OBR-4.4).",
        code=messages.TABLE_VALUE_NOT_FOUND,
        location="OBR-4",
    )


def _existing_order(parsed: OrderMessage) -> Order:
    order = (
        Order.objects.select_related("patient")
        .filter(placer_system=parsed.placer_system, placer_order_number=parsed.placer_order_number)
        .first()
    )
    if order is None:
        raise MessageRefused(
            f"No order {parsed.placer_order_number} from {parsed.placer_system} was received before.",
            code=messages.UNKNOWN_KEY,
            location="ORC-2",
        )
    if order.patient.mrn.lower() != parsed.patient["mrn"].lower():
        raise MessageRefused(
            f"Order {parsed.placer_order_number} belongs to another patient (MRN {order.patient.mrn}).",
            code=messages.UNKNOWN_KEY,
            location="PID-3",
        )
    return order


def _error_code(error: ServiceRefusal) -> str:
    if error.code == "conflict":
        return messages.DUPLICATE_KEY
    if error.code == "invalid":
        return messages.TABLE_VALUE_NOT_FOUND
    return messages.APPLICATION_ERROR


FIELD_LOCATIONS = {
    "placer_order_number": "ORC-2",
    "referring_physician_npi": "ORC-12",
    "procedure": "OBR-4",
    "priority": "OBR-27",
}


def _location(error: ServiceRefusal) -> str:
    for name in error.fields:
        if name in FIELD_LOCATIONS:
            return FIELD_LOCATIONS[name]
        if name in messages.OBX_CODES.values():
            return "OBX-5"
    return ""


# --- storing and answering ---------------------------------------------------------------------


def _encoding(header: Header | None, data: bytes) -> str | None:
    """The codec MSH-18 names; the configured default when it is empty, or names nothing
    we know and the bytes are plain ASCII (then any reading gives the same text). An unknown
    name on other bytes is "ascii", which fails, so the message is refused naming MSH-18."""
    charset = header.charset.upper() if header else ""
    if charset in CHARSETS:
        return CHARSETS[charset] or settings.HL7_DEFAULT_ENCODING
    return settings.HL7_DEFAULT_ENCODING if data.isascii() else "ascii"


def _processed(header: Header) -> InterfaceMessage | None:
    """The accepted (or accepted and ignored) copy of this message, if any: only it is final
    (a refused one may be resent after a fix, and is then processed again)."""
    if not header.control_id:
        return None
    return (
        InterfaceMessage.objects.filter(protocol="hl7v2", sender=header.sender, control_id=header.control_id)
        .filter(duplicate_of__isnull=True, outcome__in=[Outcome.ACCEPTED, Outcome.IGNORED])
        .first()
    )


def _store(text, header, outcome, detail, reply, *, peer, now, order=None, parsed=None) -> InterfaceMessage:
    header = header or Header()
    return InterfaceMessage.objects.create(
        peer=peer[:100],
        sender=_storable(header.sender),
        control_id=_storable(header.control_id)[:200],
        message_type=_storable(header.type_label[:20]),
        version=_storable(header.version[:10]),
        order_control=parsed.order_control if parsed else "",
        raw=_storable(text),
        outcome=outcome,
        detail=_storable(detail),
        reply=_storable(reply),
        order=order,
        received_at=now,
    )


def _refuse(text, header, refusal: MessageRefused, *, peer, now, encoding) -> Reply:
    reply = build_ack(
        header, code=refusal.ack_code, text=refusal.text, error_code=refusal.code, location=refusal.location, now=now
    )
    # Refused because the same message was accepted on another connection a moment ago (its
    # patient or order now exists): that copy's reply is the answer.
    original = _processed(header) if header else None
    if original is not None:
        return _duplicate(text, header, original, peer=peer, now=now, encoding=encoding)
    outcome = Outcome.REJECTED if refusal.ack_code == "AR" else Outcome.ERROR
    stored = _store(text, header, outcome, refusal.text, reply, peer=peer, now=now)
    return Reply(reply.encode(encoding or "utf-8", "replace"), stored)


def _duplicate(text, header, original: InterfaceMessage, *, peer, now, encoding) -> Reply:
    stored = InterfaceMessage.objects.create(
        peer=peer[:100],
        sender=header.sender,
        control_id=header.control_id,
        message_type=header.type_label[:20],
        version=header.version[:10],
        order_control=original.order_control,
        raw=text,
        outcome=Outcome.DUPLICATE,
        detail=f"Already processed at {original.received_at:%Y-%m-%d %H:%M:%S} UTC; answered as then.",
        reply=original.reply,
        order=original.order,
        duplicate_of=original,
        received_at=now,
    )
    return Reply(original.reply.encode(encoding or "utf-8", "replace"), stored)
