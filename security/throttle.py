"""Log-in throttling rules for django-axes.

The rules (docs/security.md):
- failures are counted per username *and* address pair: someone guessing at a username from
  another computer cannot lock its owner out at her own (the old per-username lock let anyone
  lock any account with five tries);
- after LOGIN_BACKOFF_AFTER failures of a pair, each further try waits an exponentially
  longer time (1 s, 2 s, 4 s, …) after the last failure: a try within it is refused with the
  wait, without checking the password and without counting;
- LOGIN_FAILURES_PER_PAIR failures of a pair, or LOGIN_FAILURES_PER_ADDRESS from one address
  (whatever the usernames), within LOGIN_LOCKOUT_MINUTES refuse log-ins for
  LOGIN_LOCKOUT_MINUTES (the hard lock). She can unlock herself by an e-mailed link
  (security/unlock.py); managers see and unlock on /security/lockouts/.

axes compares one number (the larger of the failures counted per pair and per address) with
one limit; `failure_limit` picks that limit so the comparison says "locked" exactly when
either of our two limits is reached.
"""

from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

# The longest soft wait; past it the hard lock is near anyway.
MAX_BACKOFF = timedelta(minutes=2)


def client_address(request) -> str:
    """The address failures are counted by: the proxy's client header when one is configured
    (only a header the proxy always overwrites can be trusted), else the connection's address."""
    if settings.LOGIN_CLIENT_IP_HEADER and request.META.get(settings.LOGIN_CLIENT_IP_HEADER):
        return request.META[settings.LOGIN_CLIENT_IP_HEADER].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def failure_limit(request, credentials) -> int:
    # The querysets come in the order of AXES_LOCKOUT_PARAMETERS: the pair, then the address.
    per_pair, per_address = (_failures(q) for q in AxesDatabaseHandler().get_user_attempts(request, credentials))
    if per_pair >= settings.LOGIN_FAILURES_PER_PAIR:
        return per_pair
    if per_address >= settings.LOGIN_FAILURES_PER_ADDRESS:
        return per_address
    return max(per_pair, per_address) + 1


def backoff(failures: int) -> timedelta:
    """How long after the last failure of a pair the next try must wait."""
    if failures < settings.LOGIN_BACKOFF_AFTER:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - settings.LOGIN_BACKOFF_AFTER)), MAX_BACKOFF)


def wait_before_next_try(*, username: str, address: str, now=None) -> timedelta:
    """What is left of the pair's soft wait (zero when a try may be made now)."""
    last = (
        AccessAttempt.objects.filter(username=username, ip_address=address)
        .order_by("-attempt_time")
        .values("failures_since_start", "attempt_time")
        .first()
    )
    if last is None:
        return timedelta(0)
    left = last["attempt_time"] + backoff(last["failures_since_start"]) - (now or timezone.now())
    return max(left, timedelta(0))


class LoginThrottleBackend(AxesStandaloneBackend):
    """axes' gatekeeper for every log-in made over the web (the log-in views pass the request).

    A check of a password without a request (a management command, a test client's login())
    comes from no address and is not a web log-in: nothing to throttle, so it passes through
    to the model backend instead of failing as axes would."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        credentials = {"username": username}
        wait = wait_before_next_try(
            username=get_client_username(request, credentials) or "", address=client_address(request)
        )
        if wait:
            # Refused before the password is looked at; axes neither counts it nor extends a lock.
            request.axes_locked_out = True
            request.login_wait = wait
            raise AxesBackendPermissionDenied("Wait before the next try.")
        return super().authenticate(request, username=username, password=password, **kwargs)


def refused_response(request, original_response=None, credentials=None):
    """The 429 page: the soft wait ("try again in 8 seconds") or the hard lock, with the
    way to unlock it herself by e-mail."""
    wait = getattr(request, "login_wait", None)
    context = {
        "wait_seconds": max(1, round(wait.total_seconds())) if wait else 0,
        "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
        "username": (credentials or {}).get("username", "") or request.POST.get("username", ""),
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    if wait:
        response["Retry-After"] = str(context["wait_seconds"])
    return response
