"""Signed, expiring, single-appointment links for patients (no login).

The URL is /p/<appointment id>/<timestamp>:<signature>/. The signature covers the id and what
the link was given for: her phone number and e-mail address (where it was sent), the
appointment's version (its time: a reschedule raises it) and whether it was open or cancelled.
The link is checked against the appointment as it is now, so it dies when any of these
changes: a link sent to a number that a scheduler has since corrected opens nothing, a link to
the old time opens nothing (the "moved" message brings a new one). A link given while the
appointment was open still shows, once it is cancelled, a read-only page that says so
(`Access.CANCELLED`): nothing can be done through it.

It expires PATIENT_LINK_MAX_AGE_DAYS after signing, and a link signed in the future (beyond
FUTURE_SKEW, clocks of two machines drift a little) is refused: only a leaked key or a
forged clock makes one. Messages sign a fresh link when they are sent, so a reminder sent
weeks after booking carries a link that is valid from that moment.
"""

import enum
import time
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import salted_hmac

from radiology.models import Appointment, AppointmentStatus

SALT = "radiology.pages.portal.appointment-link"
# Web and worker clocks are NTP-synchronised; a minute covers their drift.
FUTURE_SKEW = timedelta(minutes=1)


class Access(enum.Enum):
    FULL = "full"
    CANCELLED = "cancelled"  # read-only: the page says it is cancelled, no action


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def _contact(appointment: Appointment) -> str:
    # A keyed digest, so the payload says nothing of the number to anyone without the key.
    patient = appointment.patient
    text = f"{patient.phone or ''}\n{(patient.email or '').lower()}"
    return salted_hmac(SALT, text, algorithm="sha256").hexdigest()[:16]


def _payload(appointment: Appointment, *, cancelled: bool) -> str:
    state = "cancelled" if cancelled else "open"
    return f"{appointment.pk}:{_contact(appointment)}:v{appointment.version}:{state}"


def _is_cancelled(appointment: Appointment) -> bool:
    return appointment.status == AppointmentStatus.CANCELLED


def make_token(appointment_or_id) -> str:
    """A token for the appointment as it is now (its contact, time and state)."""
    appointment = _appointment(appointment_or_id)
    payload = _payload(appointment, cancelled=_is_cancelled(appointment))
    return _signer().sign(payload).removeprefix(payload + ":")


def _signed_for(payload: str, token: str) -> bool:
    try:
        _signer().unsign(f"{payload}:{token}", max_age=timedelta(days=settings.PATIENT_LINK_MAX_AGE_DAYS))
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return False
    signed_at = signing.b62_decode(token.partition(":")[0])
    return signed_at <= time.time() + FUTURE_SKEW.total_seconds()


def link_access(*, appointment: Appointment, token: str) -> Access | None:
    """What this token opens on the appointment as it is now: everything, a read-only
    "cancelled" page, or nothing (tampered, expired, signed in the future, or given for
    another number, address or time)."""
    if _signed_for(_payload(appointment, cancelled=_is_cancelled(appointment)), token):
        return Access.CANCELLED if _is_cancelled(appointment) else Access.FULL
    if _is_cancelled(appointment) and _signed_for(_payload(appointment, cancelled=False), token):
        return Access.CANCELLED
    return None


def token_is_valid(*, appointment: Appointment, token: str) -> bool:
    """True when the token opens the appointment's full page."""
    return link_access(appointment=appointment, token=token) is Access.FULL


def _appointment(appointment_or_id) -> Appointment:
    if isinstance(appointment_or_id, Appointment):
        return appointment_or_id
    return Appointment.objects.select_related("patient").get(pk=appointment_or_id)


def patient_path(appointment_or_id) -> str:
    appointment = _appointment(appointment_or_id)
    return reverse("radiology:portal:home", args=[appointment.pk, make_token(appointment)])


def patient_link(appointment_or_id) -> str:
    return settings.SITE_URL.rstrip("/") + patient_path(appointment_or_id)


def letter_path(appointment_or_id) -> str:
    """Her result letter's page, behind the same signed link."""
    appointment = _appointment(appointment_or_id)
    return reverse("radiology:portal:letter", args=[appointment.pk, make_token(appointment)])


def letter_link(appointment_or_id) -> str:
    return settings.SITE_URL.rstrip("/") + letter_path(appointment_or_id)


# An invitation to book one order (issue 21 C) is signed the same way under its own salt:
# a token made for appointment 7 is not a token for invitation 7, nor the other way round.
INVITATION_SALT = "radiology.pages.portal.order-invitation"


def _invitation_signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=INVITATION_SALT)


def make_invitation_token(invitation_id: int) -> str:
    return _invitation_signer().sign(str(invitation_id)).partition(":")[2]


def invitation_token_is_valid(*, invitation_id: int, token: str) -> bool:
    """True only for an untampered token of this invitation, within ORDER_INVITATION_MAX_AGE_DAYS."""
    try:
        _invitation_signer().unsign(
            f"{invitation_id}:{token}", max_age=timedelta(days=settings.ORDER_INVITATION_MAX_AGE_DAYS)
        )
    except signing.BadSignature:
        return False
    return True


def invitation_path(invitation_id: int) -> str:
    return reverse("radiology:portal:invitation", args=[invitation_id, make_invitation_token(invitation_id)])


def invitation_link(invitation_id: int) -> str:
    return settings.SITE_URL.rstrip("/") + invitation_path(invitation_id)


# --- an earlier-slot offer's link: signed for the offer, not an appointment (she may have none)

OFFER_SALT = "radiology.pages.portal.offer-link"


def make_offer_token(offer_id: int) -> str:
    return signing.TimestampSigner(salt=OFFER_SALT).sign(str(offer_id)).partition(":")[2]


def offer_token_is_valid(*, offer_id: int, token: str) -> bool:
    try:
        signing.TimestampSigner(salt=OFFER_SALT).unsign(
            f"{offer_id}:{token}", max_age=timedelta(days=settings.PATIENT_LINK_MAX_AGE_DAYS)
        )
    except signing.BadSignature:
        return False
    return True


def offer_path(offer_id: int) -> str:
    return reverse("radiology:portal:offer", args=[offer_id, make_offer_token(offer_id)])


def offer_link_for_patient(offer_id: int) -> str:
    return settings.SITE_URL.rstrip("/") + offer_path(offer_id)
