"""Every API error is JSON: {"error": "<sentence>", "fields": {...}}."""

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from radiology.errors import AppointmentActionError

STATUS_FOR_CODE = {"forbidden": 403, "not_allowed": 409, "invalid": 400, "conflict": 409, "not_found": 404}


def json_exception_handler(exc, context):
    if isinstance(exc, AppointmentActionError):
        body = {"error": exc.message}
        if exc.fields:
            body["fields"] = exc.fields
        return Response(body, status=STATUS_FOR_CODE.get(exc.code, 400))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"error": "Some fields are not valid.", "fields": response.data}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"error": str(response.data["detail"])}
    return response
