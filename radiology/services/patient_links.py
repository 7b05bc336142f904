"""Signed, expiring, single-appointment links for patients (no login).

The URL is /p/<appointment id>/<timestamp>:<signature>/. The signature covers the id, so
changing the id in the URL breaks it; it expires PATIENT_LINK_MAX_AGE_DAYS after signing.
Messages sign a fresh link when they are sent, so a reminder sent weeks after booking
carries a link that is valid from that moment.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "radiology.pages.portal.appointment-link"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(appointment_id: int) -> str:
    return _signer().sign(str(appointment_id)).partition(":")[2]


def token_is_valid(*, appointment_id: int, token: str) -> bool:
    """True only for an untampered token of this appointment that has not expired."""
    try:
        _signer().unsign(f"{appointment_id}:{token}", max_age=timedelta(days=settings.PATIENT_LINK_MAX_AGE_DAYS))
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return False
    return True


def patient_path(appointment_id: int) -> str:
    return reverse("radiology:portal:home", args=[appointment_id, make_token(appointment_id)])


def patient_link(appointment_id: int) -> str:
    return settings.SITE_URL.rstrip("/") + patient_path(appointment_id)


def letter_path(appointment_id: int) -> str:
    """Her result letter's page, behind the same signed link."""
    return reverse("radiology:portal:letter", args=[appointment_id, make_token(appointment_id)])


def letter_link(appointment_id: int) -> str:
    return settings.SITE_URL.rstrip("/") + letter_path(appointment_id)


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
