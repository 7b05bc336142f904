"""Log-in throttling rules for django-axes.

The rule: after LOGIN_FAILURES_PER_USERNAME failed passwords for one username, or
LOGIN_FAILURES_PER_ADDRESS from one address, within LOGIN_LOCKOUT_MINUTES, log-ins are refused
for LOGIN_LOCKOUT_MINUTES. axes compares one number (the larger of the failures counted per
username and per address) with one limit; `failure_limit` picks that limit so the comparison
says "locked" exactly when either of our two limits is reached.
"""

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


def client_address(request) -> str:
    """The address failures are counted by: the proxy's client header when one is configured
    (only a header the proxy always overwrites can be trusted), else the connection's address."""
    if settings.LOGIN_CLIENT_IP_HEADER and request.META.get(settings.LOGIN_CLIENT_IP_HEADER):
        return request.META[settings.LOGIN_CLIENT_IP_HEADER].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def failure_limit(request, credentials) -> int:
    # The querysets come in the order of AXES_LOCKOUT_PARAMETERS: username, then address.
    per_username, per_address = (_failures(q) for q in AxesDatabaseHandler().get_user_attempts(request, credentials))
    if per_username >= settings.LOGIN_FAILURES_PER_USERNAME:
        return per_username
    if per_address >= settings.LOGIN_FAILURES_PER_ADDRESS:
        return per_address
    return max(per_username, per_address) + 1


class LoginThrottleBackend(AxesStandaloneBackend):
    """axes' gatekeeper for every log-in made over the web (the log-in views pass the request).

    A check of a password without a request (a management command, a test client's login())
    comes from no address and is not a web log-in: nothing to throttle, so it passes through
    to the model backend instead of failing as axes would."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
