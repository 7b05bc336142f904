"""API tokens (django-rest-knox): only a SHA-512 digest is stored, so a token is shown once,
when issued. A user may hold several, each named (which system uses it), each expiring
(API_TOKEN_DAYS by default), each with the time it was last used; revoking deletes it."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from knox.auth import TokenAuthentication

from security.models import ApiToken

# Recording every use would write on every API call; to the minute is enough to spot a stale token.
LAST_USED_PRECISION = timedelta(minutes=1)


def issue_token(*, user, name: str = "api", days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for an active user; returns the row and the token text (never stored)."""
    if not user.is_active:
        raise ValueError(f"The user “{user.get_username()}” is inactive.")
    days = settings.API_TOKEN_DAYS if days is None else days
    with transaction.atomic():
        return ApiToken.objects.create(user=user, expiry=timedelta(days=days), name=name)


def revoke_tokens(*, user, name: str | None = None, token_key: str | None = None) -> int:
    """Delete a user's tokens: all of them, those with a name, or the one starting with token_key."""
    tokens = ApiToken.objects.filter(user=user)
    if name is not None:
        tokens = tokens.filter(name=name)
    if token_key is not None:
        tokens = tokens.filter(token_key__startswith=token_key[:15])
    with transaction.atomic():
        deleted, _ = tokens.delete()
    return deleted


class ApiTokenAuthentication(TokenAuthentication):
    """knox's `Authorization: Token <token>`, noting when each token was last used."""

    def authenticate_credentials(self, token):
        user, auth_token = super().authenticate_credentials(token)
        now = timezone.now()
        ApiToken.objects.filter(pk=auth_token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        return user, auth_token
