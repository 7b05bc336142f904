"""HL7 v2 merges in: ADT^A40 (merge patient, 2.3.1 to 2.5.1; IHE RAD-12), A34 and A39 (the
2.3.1 senders' merges) and A47 (change a patient identifier), one handler per trigger.

PID-3 names the surviving MRN (the new one for A47), MRG-1 the merged-away one (the old one);
each is read as an order's PID-3 is (typed MR, else the hospital's authority). An A40 may carry
several PID/MRG pairs: all are applied in the message's one transaction, or none. The rules
are radiology.services.patient_merge's; a handler returns the sentence of its AA, or raises
MessageRefused (AE with a table-0357 code) for what the department will not do: an A47 to an
identifier another patient has is 205 (duplicate key). A merge already applied, or of an MRN
the department has never seen, is AA: the hospital's feed sends every patient.
"""

from collections.abc import Callable
from datetime import datetime

from radiology.errors import ServiceRefusal
from radiology.interfaces.hl7 import messages
from radiology.interfaces.hl7.messages import MessageRefused
from radiology.services import patient_merge


def pairs(text: str) -> list[tuple[str, str]]:
    """(surviving MRN, merged-away MRN) of each PID with its MRG, in the message's order."""
    message = messages.parse(text)
    lines = messages.segment_lines(text)
    msh = [line for line in lines if line.startswith("MSH")][:1]
    groups: list[list[str]] = []
    for line in lines:
        name = line[:3]
        if name == "PID":
            groups.append([line])
        elif name == "MRG" and groups and len(groups[-1]) == 1:
            groups[-1].append(line)
    if not groups:
        raise MessageRefused(
            "The message has no PID segment.", ack_code="AR", code=messages.SEGMENT_SEQUENCE_ERROR, location="PID"
        )
    found = []
    for group in groups:
        if len(group) < 2:  # noqa: PLR2004 - a PID and its MRG
            raise MessageRefused(
                "Each PID of a merge needs its MRG (MRG-1: the merged-away identifier) right after it.",
                code=messages.SEGMENT_SEQUENCE_ERROR,
                location="MRG",
            )
        reader = messages._Reader(message, "\r".join(msh + group))  # noqa: SLF001 - the listener's own field reader
        found.append((messages._mrn(reader), messages._mrn(reader, "MRG", 1)))  # noqa: SLF001
    return found


def handle_a40(text: str, *, now: datetime) -> str:
    """Merge each MRG-1 record into its PID-3 record (radiology.services.patient_merge)."""
    sentences = []
    for into_mrn, from_mrn in pairs(text):
        try:
            result = patient_merge.merge_patients(from_mrn=from_mrn, into_mrn=into_mrn, actor=None, now=now)
        except ServiceRefusal as error:
            # A conflicting merge is not a duplicate identifier: the hospital must look at it (207).
            code = messages.APPLICATION_ERROR if error.code == "conflict" else _code(error)
            raise MessageRefused(
                f"Merge of MRN {from_mrn} into {into_mrn}: {error.message}", code=code, location="MRG-1"
            ) from None
        sentences.append(_merged(result, from_mrn=from_mrn, into_mrn=into_mrn))
    return " ".join(sentences)


# 2.3.1's merges (patient id only; person) read as A40 does.
handle_a34 = handle_a40
handle_a39 = handle_a40


def handle_a47(text: str, *, now: datetime) -> str:
    """Change MRG-1's identifier to PID-3's; to one another patient has: AE 205."""
    sentences = []
    for new_mrn, old_mrn in pairs(text):
        try:
            result = patient_merge.change_identifier(old_mrn=old_mrn, new_mrn=new_mrn, actor=None, now=now)
        except ServiceRefusal as error:
            raise MessageRefused(
                f"Identifier change from MRN {old_mrn} to {new_mrn}: {error.message}",
                code=_code(error),
                location="PID-3" if error.code == "conflict" else "MRG-1",
            ) from None
        sentences.append(
            {
                "renamed": f"MRN {old_mrn} is now MRN {new_mrn}.",
                "already": f"MRN {old_mrn} was changed to {new_mrn} before; nothing changed.",
                "unknown": f"MRN {old_mrn} is not known here; nothing changed.",
            }[result.outcome]
        )
    return " ".join(sentences)


HANDLERS: dict[str, Callable[..., str]] = {"A40": handle_a40, "A34": handle_a34, "A39": handle_a39, "A47": handle_a47}


def _merged(result: patient_merge.MergeResult, *, from_mrn: str, into_mrn: str) -> str:
    if result.outcome == "unknown":
        return f"MRN {from_mrn} is not known here; nothing to merge into {into_mrn}."
    if result.outcome == "already":
        return f"MRN {from_mrn} was merged into {result.survivor.mrn} before; nothing changed."
    if result.outcome == "renamed":
        return f"MRN {from_mrn} is now MRN {into_mrn} (new here)."
    sentence = (
        f"MRN {from_mrn} merged into {into_mrn}: {result.moved_appointments} appointment(s) and "
        f"{result.moved_orders} order(s) moved."
    )
    if result.conflicts:
        sentence += f" She now has {len(result.conflicts)} galactograms ahead: listed for the schedulers."
    return sentence


def _code(error: ServiceRefusal) -> str:
    if error.code == "conflict":
        return messages.DUPLICATE_KEY
    if error.code == "invalid":
        return messages.DATA_TYPE_ERROR
    return messages.APPLICATION_ERROR
