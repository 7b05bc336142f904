"""Every API error is JSON: {"error": "<sentence>", "fields": {...}, "suggestions": [...], "patient": id}.

"error" is always present and is a sentence a person can act on; "fields" maps an input
field to what is wrong with it; "suggestions" (only on a booking conflict) lists the next
free slots in the same shape as GET /api/v1/slots; "patient" (only when a registration
duplicates one) is the existing patient's id. A service's refusal (radiology.errors) becomes
this body in one place, refusal_body, with the HTTP status of its code.
"""

import logging

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from radiology.errors import ServiceRefusal
from radiology.interfaces.api.serializers import slot_data
from security.errors import fault, with_retry_after

logger = logging.getLogger(__name__)

STATUS_FOR_CODE = {
    "forbidden": 403,
    "not_allowed": 409,
    "invalid": 400,
    "required": 400,
    "conflict": 409,
    "not_found": 404,
}

MESSAGES = {
    exceptions.NotAuthenticated: (
        "Authentication is required: send the header “Authorization: Token <your token>” or log in."
    ),
    exceptions.AuthenticationFailed: "That token or login is not valid. Ask an administrator for a new API token.",
    exceptions.PermissionDenied: "Your role does not allow this.",
    exceptions.ParseError: "The request body is not valid JSON.",
    exceptions.UnsupportedMediaType: "Send the request body as JSON with “Content-Type: application/json”.",
    Http404: "Not found.",
}


def flatten_field_errors(detail) -> tuple[dict[str, str], list[str]]:
    """DRF's nested error lists → ({field: "sentence"}, [errors about the whole body])."""
    if isinstance(detail, list):
        return {}, [str(item) for item in detail]
    fields, general = {}, []
    for name, value in detail.items():
        if name in ("non_field_errors", "__all__"):
            general.extend(flatten_field_errors(value)[1] if isinstance(value, list) else [str(value)])
        elif isinstance(value, dict):
            nested, nested_general = flatten_field_errors(value)
            fields.update({f"{name}.{key}": text for key, text in nested.items()})
            if nested_general:
                fields[name] = " ".join(nested_general)
        elif isinstance(value, list):
            fields[name] = " ".join(str(item) for item in value if not isinstance(item, dict | list))
        else:
            fields[name] = str(value)
    return fields, general


def validation_error_body(detail) -> dict:
    fields, general = flatten_field_errors(detail)
    if general:
        message = " ".join(general)
    elif len(fields) == 1:
        name, text = next(iter(fields.items()))
        message = f"{name}: {text}"
    else:
        message = "Some fields are not valid: " + ", ".join(fields) + "."
    body = {"error": message}
    if fields:
        body["fields"] = fields
    return body


def refusal_body(refusal: ServiceRefusal, *, offers_suggestions: bool = False) -> dict:
    """The JSON error for a service's refusal: its sentence, its fields and its declared extra data."""
    body = {"error": str(refusal.message)}
    if refusal.fields:
        body["fields"] = {name: str(text) for name, text in refusal.fields.items()}
    if refusal.existing_patient_id is not None:
        body["patient"] = refusal.existing_patient_id
    if refusal.suggestions or (offers_suggestions and refusal.code == "conflict"):
        body["suggestions"] = [slot_data(slot) for slot in refusal.suggestions]
    return body


def json_exception_handler(exc, context):
    if isinstance(exc, ServiceRefusal):
        offers = getattr(context.get("view"), "offers_suggestions", False)
        body = refusal_body(exc, offers_suggestions=offers)
        return Response(body, status=STATUS_FOR_CODE.get(exc.code, 400))
    found = fault(exc)
    if found:
        return with_retry_after(Response({"error": found.message}, status=found.status), found)
    response = exception_handler(exc, context)
    if response is None:
        # An unexpected failure: still JSON, with nothing internal in it.
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            {"error": "Something went wrong on our side. Please try again; if it persists, tell the IT desk."},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_error_body(exc.detail)
    else:
        response.data = {"error": _message_for(exc, response)}
    return response


def _message_for(exc, response) -> str:
    detail = getattr(exc, "detail", None)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return MESSAGES[exceptions.UnsupportedMediaType]
    if isinstance(exc, exceptions.ParseError):
        return f"The request body is not valid JSON ({detail})." if detail else MESSAGES[exceptions.ParseError]
    if detail is not None and str(detail) != str(getattr(exc, "default_detail", "")):
        return str(detail)  # a message written for this case
    for kind, text in MESSAGES.items():
        if isinstance(exc, kind):
            return text
    data = response.data
    return str(data.get("detail") if isinstance(data, dict) and "detail" in data else "The request was refused.")
