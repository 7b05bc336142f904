"""/healthz for load balancers and monitors; /metrics for Prometheus."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from monitoring.health import run_checks
from monitoring.metrics import exposition


@never_cache
@require_GET
def healthz(request):
    checks = run_checks()
    failed = [name for name, result in checks.items() if not result["ok"]]
    # Just started: beat's first tick is still to come; neither red nor yet green.
    status = "fail" if failed else ("starting" if any(r.get("starting") for r in checks.values()) else "ok")
    body = {"status": status, "failed": failed, "checks": checks}
    return JsonResponse(body, status=503 if failed else 200)


@never_cache
@require_GET
def metrics(request):
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
