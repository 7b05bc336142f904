"""Building the ACK (original acknowledgment mode) with hl7apy.

MSA-1 is AA (accepted), AE (an error in the content) or AR (rejected: type, event,
version, processing ID or syntax); MSA-2 echoes the received MSH-10; MSA-3 and ERR carry a
sentence an interface analyst can act on, in plain ASCII whatever the reply's character set
(a typographic quote or an accent arrives as "?" in an ASCII or 8859/1 reply). ERR follows
the version: ERR-1 (segment^sequence^field^code) up to 2.4, ERR-2/3/4/8 from 2.5 on.
"""

import unicodedata
import uuid
from datetime import datetime

from django.conf import settings
from hl7apy.core import Message

from radiology.interfaces.hl7.messages import ACCEPTED_VERSIONS, ERROR_NAMES, Header
from scheduling.clinic_time import clinic_zone

FALLBACK_VERSION = "2.5.1"


# Typographic punctuation and its plain ASCII form.
PLAIN = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...", "\u00a0": " "})


def plain_ascii(text: str) -> str:
    """The sentence in ASCII: quotes and dashes made plain, accents dropped ("Núñez" →
    "Nunez"), anything else as "?"."""
    text = unicodedata.normalize("NFKD", text.translate(PLAIN))
    return "".join(c for c in text if not unicodedata.combining(c)).encode("ascii", "replace").decode("ascii")


def _escape(text: str) -> str:
    """HL7 escape sequences for the delimiters, so a sentence stays one field."""
    text = plain_ascii(text)
    text = text.replace("\\", "\\E\\")
    for char, code in (("|", "F"), ("^", "S"), ("&", "T"), ("~", "R")):
        text = text.replace(char, f"\\{code}\\")
    return " ".join(text.split())[:400]


def _location(location: str) -> tuple[str, str]:
    """ "PID-3" → ("PID", "3"); "OBX-5 (SIDE)" → ("OBX", "5"); "PID-5.1" → ("PID", "5^1^1"):
    ERL's field, repetition and component."""
    segment, _, rest = location.partition("-")
    field, _, component = rest.split(" ")[0].strip().partition(".")
    return segment.strip(), f"{field}^1^{component}" if component else field


def build_ack(
    header: Header | None, *, code: str, text: str = "", error_code: str = "", location: str = "", now: datetime
) -> str:
    header = header or Header()
    version = header.version if header.version in ACCEPTED_VERSIONS else FALLBACK_VERSION
    ack = Message("ACK", version=version)
    ack.msh.msh_3 = _escape(settings.HL7_APPLICATION)
    ack.msh.msh_4 = _escape(settings.HL7_FACILITY)
    ack.msh.msh_5 = _escape(header.sending_application)
    ack.msh.msh_6 = _escape(header.sending_facility)
    ack.msh.msh_7 = now.astimezone(clinic_zone()).strftime("%Y%m%d%H%M%S%z")
    ack.msh.msh_9 = f"ACK^{_escape(header.trigger or 'O01')}^ACK"
    ack.msh.msh_10 = uuid.uuid4().hex[:20]
    ack.msh.msh_11 = _escape(header.processing_id or "P")
    ack.msh.msh_12 = version
    if header.charset:
        ack.msh.msh_18 = _escape(header.charset)
    ack.msa.msa_1 = code
    ack.msa.msa_2 = _escape(header.control_id)
    if text:
        ack.msa.msa_3 = _escape(text)
    if code != "AA":
        _add_err(ack, version, text=text, error_code=error_code or "207", location=location)
    return ack.to_er7()


def _add_err(ack: Message, version: str, *, text: str, error_code: str, location: str) -> None:
    segment, field = _location(location) if location else ("", "")
    condition = f"{error_code}&{_escape(ERROR_NAMES.get(error_code, 'Error'))}&HL70357"
    err = ack.add_segment("ERR")
    if version in ("2.3", "2.3.1", "2.4"):
        err.err_1 = f"{segment}^1^{field}^{condition}"
        return
    if segment:
        err.err_2 = f"{segment}^1^{field}"
    err.err_3 = condition.replace("&", "^")
    err.err_4 = "E"
    err.err_8 = _escape(text)
