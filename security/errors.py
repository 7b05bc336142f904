"""Error pages in the site's layout (the patient pages' layout under /p/), JSON under /api/.

Django's technical pages only appear with DEBUG on, which is never the production default.
"""

from django.conf import settings
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

MESSAGES = {
    400: "The request could not be read.",
    403: "Your role does not give access to this.",
    404: "There is nothing at this address.",
    500: "Something went wrong on our side. The error has been logged.",
}


def _page(request, status: int, *, message: str = ""):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message or MESSAGES[status]}, status=status)
    name = f"portal/{status}.html" if request.path.startswith("/p/") else f"{status}.html"
    return render(request, name, {"message": message}, status=status)


def bad_request(request, exception=None):
    return _page(request, 400)


def permission_denied(request, exception=None):
    return _page(request, 403)


def page_not_found(request, exception=None):
    return _page(request, 404)


def server_error(request):
    # No request context: the context processors may need the database that just failed.
    if request.path.startswith("/api/"):
        return JsonResponse({"error": MESSAGES[500]}, status=500)
    name = "portal/500.html" if request.path.startswith("/p/") else "500.html"
    html = loader.get_template(name).render(
        {"CLINIC_NAME": settings.CLINIC_NAME, "CLINIC_PHONE": settings.CLINIC_PHONE}
    )
    return HttpResponseServerError(html)


def csrf_failure(request, reason=""):
    message = "This form had expired or was sent from another page. Go back, reload the page and send it again."
    return _page(request, 403, message=message)
