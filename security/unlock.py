"""A staff member unlocks her own log-in by an e-mailed link (issue #23).

From the refused log-in page she asks for a link for her username. If that username is an
active account with an e-mail address, an UnlockRequest row and its outbox e-mail are planned
in one transaction (at most MAX_OPEN_REQUESTS open at a time, so the page cannot be used to
flood her mailbox); the page says the same whatever the username, so it tells no one which
usernames exist. The link is signed when the e-mail is sent (nothing secret in the outbox),
expires after LOGIN_UNLOCK_LINK_MINUTES and works once: opening it shows a button (mail
scanners that follow links change nothing), pressing it clears the failures of her username
at the address she asked from and the address she is at. Failures of her username elsewhere
(someone guessing from another computer) stay counted and visible to managers.
"""

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.models import Message
from notifications.services import schedule_messages
from security.models import UnlockRequest

SALT = "security.unlock-link"
SUBJECT = "unlock"
MAX_OPEN_REQUESTS = 3


def request_unlock_link(*, username: str, address: str | None, now=None) -> bool:
    """Plan the e-mail with her unlock link. True when one was planned (never shown to the
    person asking: the page reads the same either way)."""
    now = now or timezone.now()
    user = get_user_model().objects.filter(username__iexact=username.strip(), is_active=True).first()
    if user is None or not user.email:
        return False
    with transaction.atomic():
        open_requests = UnlockRequest.objects.select_for_update().filter(
            user=user, used_at__isnull=True, expires_at__gt=now
        )
        if len(open_requests) >= MAX_OPEN_REQUESTS:
            return False
        request = UnlockRequest.objects.create(
            user=user,
            ip_address=address or None,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.LOGIN_UNLOCK_LINK_MINUTES),
        )
        schedule_messages(
            messages=[
                Message(
                    subject=f"{SUBJECT}:{request.pk}",
                    audience=Message.Audience.STAFF,
                    recipient=user.email,
                    channel=Message.Channel.EMAIL,
                    kind="unlock_login",
                    context={"clinic_name": settings.CLINIC_NAME, "minutes": settings.LOGIN_UNLOCK_LINK_MINUTES},
                    due_at=now,
                    expires_at=request.expires_at,
                    idempotency_key=f"{SUBJECT}:{request.pk}",
                )
            ]
        )
    return True


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def unlock_path(request_id: int) -> str:
    token = _signer().sign(str(request_id))
    return reverse("unlock_login", args=[token])


def open_request(token: str, *, now=None) -> UnlockRequest | None:
    """The request this link is for, if it is authentic, unused and not expired."""
    try:
        request_id = int(_signer().unsign(token, max_age=timedelta(minutes=settings.LOGIN_UNLOCK_LINK_MINUTES)))
    except (signing.BadSignature, ValueError):
        return None
    return (
        UnlockRequest.objects.select_related("user")
        .filter(pk=request_id, used_at__isnull=True, expires_at__gt=now or timezone.now(), user__is_active=True)
        .first()
    )


def use_unlock_link(*, token: str, address: str | None, now=None) -> bool:
    """Unlock her log-in once: the first use wins (a conditional update), later ones do nothing."""
    now = now or timezone.now()
    request = open_request(token, now=now)
    if request is None:
        return False
    with transaction.atomic():
        claimed = UnlockRequest.objects.filter(pk=request.pk, used_at__isnull=True).update(used_at=now)
        if not claimed:
            return False
        addresses = {a for a in (request.ip_address, address) if a}
        AccessAttempt.objects.filter(username__iexact=request.user.username, ip_address__in=addresses).delete()
    return True


# --- what the outbox asks at send time (registered in SecurityConfig.ready) -----------------


def message_context(message) -> dict:
    request_id = int(message.subject.partition(":")[2])
    return {"link": settings.SITE_URL.rstrip("/") + unlock_path(request_id)}


def message_skip_reason(message) -> str | None:
    request_id = int(message.subject.partition(":")[2])
    live = UnlockRequest.objects.filter(pk=request_id, used_at__isnull=True, expires_at__gt=timezone.now())
    return None if live.exists() else "The unlock link was used or has expired."
