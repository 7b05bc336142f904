"""What a patient's text says, read the way carriers read STOP: the whole message, trimmed,
in any case, with or without accents and trailing punctuation ("Sí.", "stop!", " c "). A
word inside a sentence is not a keyword ("please don't stop my reminders" is free text for
a person to read)."""

import re
import unicodedata
from dataclasses import dataclass

from radiology.models import InboundSms

K = InboundSms.Keyword

CONFIRM = {"C", "CONFIRM", "CONFIRMAR", "SI", "YES"}
RESCHEDULE = {"R", "RESCHEDULE", "CAMBIAR"}
# The carriers' standard opt-out words (CTIA; Twilio's defaults) and their Spanish one.
STOP = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "BAJA"}
START = {"START", "UNSTOP", "ALTA"}
HELP = {"HELP", "INFO", "AYUDA"}
SPANISH = {"SI", "CONFIRMAR", "CAMBIAR", "BAJA", "ALTA", "AYUDA"}
CHOICE = re.compile(r"^C([1-9])$")


@dataclass(frozen=True)
class Reading:
    keyword: str
    language: str | None  # "es" when the word is Spanish, None when it says nothing
    choice: int | None = None  # C2 → 2


def _normalised(body: str) -> str:
    text = unicodedata.normalize("NFKD", body or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s.!¡?¿,;:'\"()]+", " ", text).strip().upper().replace(" ", "")


def read(body: str) -> Reading:
    word = _normalised(body)
    language = "es" if word in SPANISH else None
    if match := CHOICE.match(word):
        return Reading(K.CHOICE, None, int(match.group(1)))
    for words, keyword in ((STOP, K.STOP), (START, K.START), (HELP, K.HELP), (CONFIRM, K.CONFIRM)):
        if word in words:
            return Reading(keyword, language)
    if word in RESCHEDULE:
        return Reading(K.RESCHEDULE, language)
    return Reading(K.OTHER, None)
