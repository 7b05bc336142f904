"""API tokens (django-rest-knox): only a SHA-512 digest is stored, so a token is shown once,
when issued. A user may hold several, each named (which system uses it), each expiring
(API_TOKEN_DAYS by default), each with the time it was last used; revoking deletes it."""

import binascii
from datetime import timedelta
from hmac import compare_digest

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from knox.signals import token_expired
from rest_framework import exceptions

from security.models import ApiToken

# Recording every use would write on every API call; to the minute is enough to spot a stale token.
LAST_USED_PRECISION = timedelta(minutes=1)


def issue_token(*, user, name: str = "api", days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for an active user; returns the row and the token text (never stored)."""
    if not user.is_active:
        raise ValueError(f"The user “{user.get_username()}” is inactive.")
    days = settings.API_TOKEN_DAYS if days is None else days
    with transaction.atomic():
        # Her tokens that have run out go now (knox would look for them on every request).
        ApiToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
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
    """knox's `Authorization: Token <token>`, in one query: the token and its user together.

    knox itself reads every other token of the user on each request to delete the expired ones
    (issue_token does that now) and writes the time of use each time; here the time of use is
    written only when it is more than LAST_USED_PRECISION old, so an API client's requests
    cost one read, not three statements; her permissions come with it (radiology.permission_cache),
    and the change counters of the procedure catalog (radiology.catalog_cache) and of the
    department's team (radiology.team_cache)."""

    def authenticate_credentials(self, token):
        invalid = exceptions.AuthenticationFailed(_("Invalid token."))
        text = token.decode("utf-8", errors="replace")
        now = timezone.now()
        from radiology import catalog_cache, team_cache  # the wiring's caches
        from radiology.permission_cache import permissions_counter, preload_permissions

        candidates = (
            ApiToken.objects.filter(token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
            # Her permissions' counter rides along: her permissions then cost no query of their own;
            # so do the catalog's and the team's, read by a booking's procedure and team fields
            # (request.auth.catalog_version, .team_version).
            .annotate(
                permissions_version=permissions_counter(),
                catalog_version=catalog_cache.counter(),
                team_version=team_cache.counter(),
            )
        )
        for auth_token in candidates:
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error, ValueError):
                raise invalid from None
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < now:
                username = auth_token.user.get_username()
                auth_token.delete()
                token_expired.send(sender=self.__class__, username=username, source="auth_token")
                raise invalid
            if auth_token.last_used_at is None or auth_token.last_used_at < now - LAST_USED_PRECISION:
                ApiToken.objects.filter(pk=auth_token.pk).update(last_used_at=now)
                auth_token.last_used_at = now
            user, auth_token = self.validate_user(auth_token)
            preload_permissions(user, version=auth_token.permissions_version)
            return user, auth_token
        raise invalid
