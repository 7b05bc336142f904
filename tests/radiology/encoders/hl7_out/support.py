"""The EHR's side for the HL7-out tests: the SIU tests' real MLLP receiver (hl7apy, STRICT,
groups found) ready for every version we send, and a dispatcher that runs until nothing is due."""

from contextlib import contextmanager
from datetime import datetime

from hl7apy.core import Message as Hl7Message

from notifications import services as outbox
from notifications.models import Message
from tests.radiology.encoders.siu.receiver import MLLPReceiver


@contextmanager
def receiving(settings, *, messages=("siu", "orm", "oru", "dft"), order_status_version="2.3.1"):
    """A receiver the `hl7` channel points at, with the kinds of message switched on. The
    sender waits 5 s for an ACK: a strict parse of a long ORU on a busy machine."""
    Hl7Message("ORM_O01", version="2.3.1")  # load the 2.3.1 definitions before the first ACK wait
    server = MLLPReceiver()
    settings.HL7_OUT_HOST, settings.HL7_OUT_PORT, settings.HL7_OUT_TIMEOUT = "127.0.0.1", server.port, 5.0
    settings.HL7_OUT_MESSAGES = list(messages)
    settings.HL7_ORDER_STATUS_VERSION = order_status_version
    try:
        yield server
    finally:
        server.stop()


def deliver_all(now: datetime | None = None, rounds: int = 30) -> list[str]:
    """Dispatcher rounds until nothing is claimable: each round claims what is due and not
    waiting behind an earlier row of its order, and delivers it. Returns the HL7 rows' outcomes
    in order (the patient's reminders go out too, to the file SMS backend)."""
    outcomes = []
    for _ in range(rounds):
        ids, token = outbox.claim_due(now=now or datetime.now().astimezone(), limit=100)
        if not ids:
            break
        hl7 = set(Message.objects.filter(pk__in=ids, channel="hl7").values_list("pk", flat=True))
        delivered = outbox.deliver_messages(message_ids=ids, token=token, now=now or datetime.now().astimezone())
        outcomes += [outcome for pk, outcome in sorted(delivered.items()) if pk in hl7]
    return outcomes


def hl7_rows(**filters):
    return list(Message.objects.filter(channel="hl7", **filters).order_by("pk"))


def field(received, segment: str, number: int, nth: int = 0) -> str:
    """Field `number` of the `nth` `segment` of a received message, as sent (ER7)."""
    found = [s for s in received.er7.split("\r") if s.startswith(segment + "|")]
    parts = found[nth].split("|")
    index = number - (segment == "MSH")
    return parts[index] if index < len(parts) else ""


def segments(received, segment: str) -> list[list[str]]:
    return [s.split("|") for s in received.er7.split("\r") if s.startswith(segment + "|")]


def kind(received) -> str:
    """What a received message is: S12…, or ORC-5 of an order status, OBR-25 of a report, DFT."""
    message_type = field(received, "MSH", 9)
    if message_type.startswith("SIU"):
        return received.event
    if message_type.startswith(("ORM", "OMG")):
        return f"order {field(received, 'ORC', 5)}"
    if message_type.startswith("ORU"):
        return f"report {field(received, 'OBR', 25)}"
    return "charge " + ",".join(f"{ft1[6]}:{ft1[7].split('^')[0]}" for ft1 in segments(received, "FT1"))
