"""HTTP for FHIR: media types, `_format`, authentication and roles as /api/v1, and every
error as an OperationOutcome with the status code FHIR clients expect."""

import logging

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from radiology.errors import ServiceRefusal
from security.errors import FHIR_ISSUE_CODE, fault, with_retry_after

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"

# _format values (FHIR http.html#mime-type); "json" means FHIR JSON.
FORMATS = {
    "json": FHIR_JSON,
    "fhir+json": FHIR_JSON,
    "application/fhir+json": FHIR_JSON,
    "application/json+fhir": FHIR_JSON,
    "application/json": "application/json",
}

# Service refusals: a state or rule that forbids the change is a business rule (422);
# a time someone else took first is a conflict (409).
STATUS_FOR_ACTION = {"forbidden": 403, "not_found": 404, "conflict": 409, "invalid": 422, "not_allowed": 422}
ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    415: "not-supported",
    422: "business-rule",
    429: "throttled",
}


MESSAGES = {
    exceptions.NotAuthenticated: (
        "Authentication is required: send the header “Authorization: Token <your token>” or log in."
    ),
    exceptions.AuthenticationFailed: "That token or login is not valid. Ask an administrator for a new API token.",
    exceptions.PermissionDenied: "Your role does not allow this.",
    exceptions.NotFound: "Not found.",
}


class HasRolePermissions(BasePermission):
    """The Django permissions each view lists per method in `required_perms`: the same ones the
    pages and /api/v1 check (finer rules are the services', which raise "forbidden" → 403)."""

    message = "Your role does not allow this."

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        missing = [perm for perm in view.required_perms.get(method, []) if not user.has_perm(perm)]
        if missing:
            self.message = f"Your role does not allow this (it needs the “{missing[0].split('.')[1]}” permission)."
            return False
        return True


class FhirError(Exception):
    """A refusal to answer as an OperationOutcome: status, a sentence, an issue code."""

    def __init__(self, message: str, *, status: int = 400, code: str | None = None, expression: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or ISSUE_CODE.get(status, "processing")
        self.expression = expression


def operation_outcome(message: str, *, code: str = "invalid", severity: str = "error", expression=None) -> dict:
    issue = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def action_outcome(exc: ServiceRefusal) -> dict:
    outcome = operation_outcome(exc.message, code=ISSUE_CODE[STATUS_FOR_ACTION.get(exc.code, 422)])
    for field, text in exc.fields.items():
        if str(text) != exc.message:
            outcome["issue"].append({"severity": "error", "code": "invalid", "diagnostics": f"{field}: {text}"})
    return outcome


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir+json"
    charset = "utf-8"


class PlainJSONRenderer(JSONRenderer):
    media_type = "application/json"
    format = "json"
    charset = "utf-8"


class FhirJSONParser(JSONParser):
    media_type = FHIR_JSON


class FhirContentNegotiation(DefaultContentNegotiation):
    """`_format` wins over Accept; anything else (a browser's text/html, */*) gets FHIR JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = request.query_params.get("_format")
        if wanted:
            # An unencoded "+" in a query string arrives as a space (application/fhir json).
            media_type = FORMATS.get(wanted.strip().lower().replace(" ", "+").split(";")[0])
            if media_type is None:
                raise exceptions.NotAcceptable(f"This server speaks FHIR JSON only; “_format={wanted}” is not served.")
            renderer = next(r for r in renderers if r.media_type == media_type)
            return renderer, media_type
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            # Asked only for XML or HTML: answer in FHIR JSON rather than with nothing.
            return renderers[0], renderers[0].media_type


def fhir_exception_handler(exc, context):
    if isinstance(exc, FhirError):
        body = operation_outcome(exc.message, code=exc.code, expression=exc.expression)
        return Response(body, status=exc.status)
    if isinstance(exc, ServiceRefusal):
        return Response(action_outcome(exc), status=STATUS_FOR_ACTION.get(exc.code, 422))
    found = fault(exc)
    if found:
        body = operation_outcome(found.message, code=FHIR_ISSUE_CODE.get(found.status, "invalid"))
        return with_retry_after(Response(body, status=found.status), found)
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled FHIR error", exc_info=exc)
        body = operation_outcome("Something went wrong on our side; please try again.", code="exception")
        return Response(body, status=500)
    response.data = operation_outcome(_message(exc), code=ISSUE_CODE.get(response.status_code, "processing"))
    return response


def _message(exc) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "The request is not valid."
    if isinstance(exc, exceptions.ParseError):
        return f"The request body is not valid JSON ({exc.detail})."
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return "Send the request body as FHIR JSON with “Content-Type: application/fhir+json”."
    if isinstance(exc, exceptions.MethodNotAllowed):
        return f"{exc.detail} See /fhir/R4/metadata for the interactions this server supports."
    detail = getattr(exc, "detail", None)
    if detail is not None and str(detail) != str(getattr(exc, "default_detail", "")):
        return str(detail)
    for kind, text in MESSAGES.items():
        if isinstance(exc, kind):
            return text
    return str(detail) if detail else "The request was refused."


class FhirView(APIView):
    renderer_classes = [FhirJSONRenderer, PlainJSONRenderer]
    parser_classes = [FhirJSONParser, JSONParser]
    content_negotiation_class = FhirContentNegotiation
    permission_classes = [HasRolePermissions]
    required_perms: dict[str, list[str]] = {}
    # OPTIONS would describe the view in DRF's own JSON, which is not FHIR: 405 instead.
    metadata_class = None
    # Described by its CapabilityStatement (GET metadata), not by /api/v1's OpenAPI schema.
    schema = None

    def get_exception_handler(self):
        return fhir_exception_handler

    def resource_body(self, request, resource_type: str) -> dict:
        """The request body as a JSON object of `resource_type` (or any type if None)."""
        body = request.data
        if not isinstance(body, dict) or "resourceType" not in body:
            raise FhirError("Send a FHIR resource (a JSON object with “resourceType”).", code="structure")
        if resource_type and body["resourceType"] != resource_type:
            raise FhirError(f"Expected a {resource_type}, got a {body['resourceType']}.", code="structure")
        return body


class NotFoundView(FhirView):
    """Anything else under /fhir/R4: a 404 OperationOutcome, never the site's HTML page."""

    permission_classes = [AllowAny]

    def get(self, request, *args, **kwargs):
        raise FhirError(
            f"There is nothing at {request.path}. See /fhir/R4/metadata for the resources served.", status=404
        )

    post = put = patch = delete = get
