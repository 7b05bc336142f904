"""How a patient is reached, read one way at every door (pages, API, HL7, FHIR).

The rule: a phone number is stored only as E.164, parsed in the department's default region
(PHONE_DEFAULT_REGION) when it carries no country code, so no country code is ever invented
for it; an e-mail address only when it is one. What does not read as either is never stored
as if it were: it is kept as text (`contact_as_sent`) and the patient is flagged "check
contact" for a scheduler. A patient with no way to reach her at all is flagged "no contact".
Staff forms still ask for a valid number (they can fix it on the spot); a system's message
is never refused over its contact data.
"""

from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from notifications.opt_out import is_opted_out
from radiology.models import Channel, ContactFlag


def read_phone(raw: str, *, region: str | None = None) -> tuple[str, str]:
    """(E.164, "") for a number we can dial, ("", the text as sent) for one we cannot, and
    ("", "") for nothing."""
    text = " ".join(str(raw or "").split())
    if not text:
        return "", ""
    try:
        number = phonenumbers.parse(text, region or settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return "", text
    if not phonenumbers.is_valid_number(number):
        return "", text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""


def read_email(raw: str) -> tuple[str, str]:
    """(address, "") for an address we can write to, ("", the text as sent) otherwise."""
    text = str(raw or "").strip()
    if not text:
        return "", ""
    try:
        validate_email(text)
    except ValidationError:
        return "", text
    return text, ""


@dataclass(frozen=True)
class Reachability:
    """What a patient's record says about reaching her, as the model's constraint needs it."""

    preferred_channel: str
    flag: str
    as_sent: str


def assess(*, phone: str, email: str, as_sent: str = "", preferred_channel: str | None = None) -> Reachability:
    """Her channel (kept when she can be reached on it, else the one she can be reached on),
    and the flag: "check contact" when something sent could not be read, "no contact" when
    nothing reaches her, none otherwise."""
    usable = {Channel.SMS: bool(phone), Channel.EMAIL: bool(email)}
    channel = preferred_channel if preferred_channel in usable else None
    if channel is None or not usable[channel]:
        channel = next((c for c in (Channel.SMS, Channel.EMAIL) if usable[c]), channel or Channel.SMS)
    if as_sent:
        flag = ContactFlag.CHECK
    elif not usable[channel]:
        flag = ContactFlag.NONE_GIVEN
    else:
        flag = ContactFlag.CLEAR
    return Reachability(preferred_channel=channel, flag=flag, as_sent=as_sent[:200])


def offer_channel(patient) -> str | None:
    """How an earlier-slot offer reaches her now, or None: the one rule of "reachable and not
    opted out" (the waiting list's eligibility and the offer's message both read it).

    SMS when she prefers it, has a number we can dial and has not opted out of texts; else
    e-mail when she has an address; else nothing (a patient who died or was merged away, or
    with no usable number or address, is not offered anything by message). The SMS opt-out
    (issue 21 A: a number that replied STOP, notifications.opt_out) is read here for offers."""
    if patient.deceased or patient.merged_into_id:
        return None
    texts_allowed = not (patient.phone and is_opted_out(str(patient.phone)))
    if patient.phone and texts_allowed and (patient.preferred_channel == Channel.SMS or not patient.email):
        return Channel.SMS
    if patient.email:
        return Channel.EMAIL
    return None
