"""/healthz for load balancers and monitors; /metrics for Prometheus."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from monitoring.health import run_checks
from monitoring.metrics import exposition


def _has_token(request) -> bool:
    """The monitoring token (METRICS_TOKEN, required in production) as a bearer token; without
    one configured (development) every caller counts as the monitor."""
    token = settings.METRICS_TOKEN
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
@require_GET
def healthz(request):
    """Status and the names of failed checks for anyone (a load balancer needs no more); each
    check's details (backlog per channel, ages, errors) for the monitor's token or signed-in staff."""
    checks = run_checks()
    failed = [name for name, result in checks.items() if not result["ok"]]
    # Just started: beat's first tick is still to come; neither red nor yet green.
    status = "fail" if failed else ("starting" if any(r.get("starting") for r in checks.values()) else "ok")
    body = {"status": status, "failed": failed}
    if _has_token(request) or (request.user.is_authenticated and hasattr(request.user, "staff")):
        body["checks"] = checks
    return JsonResponse(body, status=503 if failed else 200)


@never_cache
@require_GET
def metrics(request):
    if not _has_token(request):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
