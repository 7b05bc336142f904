"""Input rules that several doors check (forms, the API's serializers, services): each is
defined here once. Each returns the sentence to show, or None when the input is fine, so a
form, a serializer and a service can each raise it in their own way."""

import re
from datetime import date, datetime, timedelta

from radiology.models import MRN_MESSAGE, MRN_PATTERN, Channel  # noqa: F401 - one definition, used by serializers
from scheduling.clinic_time import local_today

# How far ahead the department books (and lets anyone search).
BOOKING_HORIZON = timedelta(days=730)
OLDEST_BIRTH_YEARS = 130


def day_beyond_horizon(day: date) -> str | None:
    if day > local_today() + BOOKING_HORIZON:
        return "Bookings open at most two years ahead; choose an earlier day."
    return None


def start_out_of_range(start: datetime, *, now: datetime) -> str | None:
    """A proposed start must be from about now to the booking horizon."""
    if start < now - timedelta(days=1) or start > now + BOOKING_HORIZON:
        return "Choose a time between now and two years ahead."
    return None


def birth_date_problem(born: date) -> str | None:
    today = local_today()
    if born > today:
        return "The date of birth is in the future."
    if born.year < today.year - OLDEST_BIRTH_YEARS:
        return f"That date of birth is more than {OLDEST_BIRTH_YEARS} years ago; please check the year."
    return None


def duration_problem(procedure, minutes: int) -> str | None:
    """The catalog says how long the procedure is booked for (30 or 45 minutes)."""
    if minutes not in procedure.allowed_durations:
        allowed = " or ".join(str(m) for m in procedure.allowed_durations)
        return f"A {procedure.name.lower()} is booked for {allowed} minutes."
    return None


def duration_for_order(order) -> int:
    """How long an order's exam is booked for: the catalog's shortest time for one duct (the
    order says a single duct discharges), its default otherwise (several ducts, or not known)."""
    procedure = order.procedure
    if order.discharge_ducts == "single":
        return procedure.allowed_durations[0]
    return procedure.default_duration_minutes


def unreachable(*, preferred_channel: str, phone, email: str) -> tuple[str, str] | None:
    """(field, sentence) when the patient could not receive reminders on her channel."""
    if preferred_channel == Channel.SMS and not phone:
        return "phone", "Text reminders need a mobile number; add one or choose e-mail."
    if preferred_channel == Channel.EMAIL and not email:
        return "email", "E-mail reminders need an e-mail address; add one or choose text messages."
    return None


# C0 controls (CR, LF, BEL, tab, ESC …), DEL and C1: never part of a name. Carried on, a CR
# ends an HL7 segment and a BEL or ESC corrupts a DICOM PN at the modality.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
NAME_FIELDS = {"family_name": "family name", "given_name": "given name"}


def control_character_problem(value: str | None, *, label: str) -> str | None:
    """A name with a control character is refused at every door (page, API, HL7): the
    sender fixes it at the source, rather than a silent guess at what was meant."""
    found = CONTROL_CHARACTERS.search(value or "")
    if found is None:
        return None
    code, position = f"U+{ord(found.group()):04X}", found.start() + 1
    return f"The {label} holds a control character ({code}) at position {position}; remove it."


def names_problem(**names: str | None) -> tuple[str, str] | None:
    """(field, sentence) for the first of family_name / given_name that holds a control character."""
    for field, value in names.items():
        problem = control_character_problem(value, label=NAME_FIELDS.get(field, field.replace("_", " ")))
        if problem:
            return field, problem
    return None


def without_control_characters(value: str) -> str:
    """What is already stored, as it goes out (a worklist item, a message): each control
    character a space, so that no record from before the rule reaches a modality with one."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", value).split()) if CONTROL_CHARACTERS.search(value) else value
