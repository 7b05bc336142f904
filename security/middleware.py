"""Headers and session rules for shared workstations."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control

LAST_ACTIVITY = "security.last_activity"
# Writing the session on every request would cost a database write per click; a minute's
# precision is plenty for a 30-minute rule.
ACTIVITY_PRECISION_SECONDS = 60
# The day list refreshes itself every minute; that is the screen talking, not a person.
BACKGROUND_HEADER = "HTTP_X_BACKGROUND_REFRESH"


def start_activity_clock(sender, request, user, **kwargs):
    """Logging in is activity: the idle clock starts then, in the session the log-in saves."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY] = timezone.now().timestamp()


class IdleSessionMiddleware:
    """A staff session unused for SESSION_IDLE_MINUTES ends: the next request logs out and goes
    to the log-in page (a background refresh of the day list too, so the screen stops showing
    patients). Background refreshes do not count as activity."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            last = request.session.get(LAST_ACTIVITY)
            if last is not None and now - last > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                return self._session_ended(request)
            background = request.META.get(BACKGROUND_HEADER) == "true"
            if not background and (last is None or now - last >= ACTIVITY_PRECISION_SECONDS):
                request.session[LAST_ACTIVITY] = now
        return self.get_response(request)

    def _session_ended(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(request)  # now anonymous: the API answers 401 in JSON
        messages.info(request, f"You were logged out after {settings.SESSION_IDLE_MINUTES} minutes without activity.")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        return redirect_to_login(request.get_full_path())


class PrivatePagesMiddleware:
    """Pages carry patient data: no browser or proxy keeps a copy (Cache-Control: no-store),
    so the Back button on a shared workstation shows nothing after log-out. Static files keep
    their long cache. Every response also says which browser features the site never uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
