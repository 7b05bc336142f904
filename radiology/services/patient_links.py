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
