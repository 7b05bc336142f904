"""Error pages in the site's layout (the patient pages' layout under /p/), JSON under /api/,
an OperationOutcome under /fhir/.

Django's technical pages only appear with DEBUG on, which is never the production default.
`fault` is the one reading of a failure that is not the request's content: the database away
(503 with Retry-After), a body too large (413), JSON nested past what a parser can follow (400),
a value the database cannot hold (400). The API's and FHIR's exception handlers and the 500
handler (a failure before any view, e.g. reading the session while PostgreSQL is down) use it.
"""

import json
import sys
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class Fault:
    status: int
    message: str
    retry_after: int | None = None


def fault(exc: BaseException) -> Fault | None:
    """What to answer for a failure that is not a refusal of the request's meaning, or None."""
    if isinstance(exc, OperationalError | InterfaceError):
        return Fault(
            503,
            "The service is briefly unavailable (its database cannot be reached). Nothing was changed by "
            "this request unless it was already answered; please try again in a moment.",
            RETRY_AFTER_SECONDS,
        )
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
        return Fault(413, f"The request body is too large: at most {limit:g} MiB is accepted.")
    if isinstance(exc, RecursionError):
        return Fault(400, "The request body is nested too deeply to be read.")
    if isinstance(exc, OverflowError):
        # Date arithmetic at the calendar's end (9999-12-31 plus a day) on a value the door let through.
        return Fault(400, "A date or number in the request is outside the range this service handles.")
    if isinstance(exc, DataError):
        # PostgreSQL's own words ("bigint out of range", the column) are not the client's business.
        return Fault(400, "A value in the request is out of range or cannot be stored (e.g. a number too large).")
    return None


# FHIR's issue-type codes for these answers (http://hl7.org/fhir/R4/valueset-issue-type.html).
FHIR_ISSUE_CODE = {
    400: "invalid",
    403: "forbidden",
    404: "not-found",
    413: "too-costly",
    414: "too-long",
    500: "exception",
    503: "transient",
}


def with_retry_after(response, found: Fault | None):
    if found and found.retry_after:
        response["Retry-After"] = str(found.retry_after)
    return response


def _fhir_outcome(message: str, *, status: int, code: str) -> HttpResponse:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": message}]}
    return HttpResponse(json.dumps(body), status=status, content_type="application/fhir+json; charset=utf-8")


MESSAGES = {
    400: "The request could not be read.",
    403: "Your role does not give access to this.",
    404: "There is nothing at this address.",
    500: "Something went wrong on our side. The error has been logged.",
}


def _page(request, status: int, *, message: str = "", template_status: int | None = None):
    message = message or MESSAGES[status]
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message}, status=status)
    if request.path.startswith("/fhir/"):
        return _fhir_outcome(message, status=status, code=FHIR_ISSUE_CODE.get(status, "invalid"))
    page = template_status or status
    name = f"portal/{page}.html" if request.path.startswith("/p/") else f"{page}.html"
    return render(request, name, {"message": message}, status=status)


def bad_request(request, exception=None):
    found = fault(exception) if exception is not None else None
    if found:  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE sent to a page
        return _page(request, found.status, message=found.message, template_status=400)
    return _page(request, 400)


def permission_denied(request, exception=None):
    return _page(request, 403)


def page_not_found(request, exception=None):
    return _page(request, 404)


class AddressLengthMiddleware:
    """An address longer than MAX_ADDRESS_BYTES is refused with 414 in the door's own shape
    (JSON, an OperationOutcome, a page). gunicorn's own limit (config/gunicorn.conf.py,
    limit_request_line) is set above it, so its bare HTML 414 is only for lines past 8 KB."""

    MAX_ADDRESS_BYTES = 4096

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = len(request.get_full_path().encode())
        if length > self.MAX_ADDRESS_BYTES:
            message = f"The address is too long ({length} bytes; at most {self.MAX_ADDRESS_BYTES})."
            return _page(request, 414, message=message, template_status=400)
        return self.get_response(request)


def server_error(request):
    # Django calls this inside its `except`: the failure is still sys.exc_info()'s.
    found = fault(sys.exc_info()[1]) if sys.exc_info()[1] is not None else None
    status = found.status if found else 500
    message = found.message if found else MESSAGES[500]
    if request.path.startswith("/api/"):
        return with_retry_after(JsonResponse({"error": message}, status=status), found)
    if request.path.startswith("/fhir/"):
        code = FHIR_ISSUE_CODE.get(status, "invalid")
        return with_retry_after(_fhir_outcome(message, status=status, code=code), found)
    # No request context: the context processors may need the database that just failed.
    if found and found.status == 503:
        name = "portal/500.html" if request.path.startswith("/p/") else "503.html"
        html = loader.get_template(name).render(
            {"CLINIC_NAME": settings.CLINIC_NAME, "CLINIC_PHONE": settings.CLINIC_PHONE, "message": message}
        )
        return with_retry_after(HttpResponse(html, status=503), found)
    name = "portal/500.html" if request.path.startswith("/p/") else "500.html"
    html = loader.get_template(name).render(
        {"CLINIC_NAME": settings.CLINIC_NAME, "CLINIC_PHONE": settings.CLINIC_PHONE}
    )
    return HttpResponseServerError(html)


def csrf_failure(request, reason=""):
    message = "This form had expired or was sent from another page. Go back, reload the page and send it again."
    return _page(request, 403, message=message)
