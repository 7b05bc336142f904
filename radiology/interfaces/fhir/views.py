"""FHIR views: parse, call a resource type or an operation, answer in FHIR JSON. Every
resource answered carries its version (meta.versionId and, alone, an ETag); a read honours
If-None-Match with 304 (radiology.interfaces.fhir.versions)."""

from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from radiology.errors import ServiceRefusal
from radiology.interfaces.fhir import bundle, mapping, operations, search, versions
from radiology.interfaces.fhir.capability import capability_statement
from radiology.interfaces.fhir.http import FhirError, FhirView, action_outcome
from radiology.interfaces.fhir.operation_definitions import operation_definition
from radiology.interfaces.fhir.resources import RESOURCE_TYPES
from radiology.models import Appointment
from radiology.services import booking, cancellation, holds
from security.access_log import What, record_access

VIEW_APPOINTMENT = "radiology.view_appointment"
BOOK = "radiology.book_appointment"
PUBLISHED = timezone.now()


def _audit(request, resources: list[dict]) -> None:
    """The read audit, as for /api/v1: every patient whose data this answer shows."""
    patient_ids = []
    for resource in resources:
        if resource.get("resourceType") == "Patient":
            patient_ids.append(int(resource["id"]))
        references = [p["actor"]["reference"] for p in resource.get("participant") or []]
        if "subject" in resource:  # an order, a report, a study
            references.append(resource["subject"]["reference"])
        for ref in references:
            kind, _, pk = ref.partition("/")
            if kind == "Patient":
                patient_ids.append(int(pk))
    if patient_ids:
        record_access(request=request, patient_ids=patient_ids, what=What.API)


def _kind(resource_type: str):
    kind = RESOURCE_TYPES.get(resource_type)
    if kind is None:
        served = ", ".join(RESOURCE_TYPES)
        raise FhirError(f"This server does not serve {resource_type}; it serves {served}.", status=404)
    return kind


class ResourceView(FhirView):
    """Reading needs the same view permission as the pages and /api/v1 for that kind of row."""

    @property
    def required_perms(self):
        kind = RESOURCE_TYPES.get(self.kwargs.get("resource_type", ""))
        return {"GET": [kind.permission]} if kind else {}


class MetadataView(FhirView):
    # Clients discover the server before they authenticate (FHIR http.html#capabilities).
    permission_classes = [AllowAny]

    def get(self, request):
        return Response(capability_statement(bundle.base_url(request), PUBLISHED))


class OperationDefinitionView(FhirView):
    permission_classes = [AllowAny]

    def get(self, request, resource_id):
        definition = operation_definition(bundle.base_url(request), resource_id.removeprefix("Appointment-"))
        if definition is None or not resource_id.startswith("Appointment-"):
            raise FhirError(f"There is no OperationDefinition “{resource_id}”.", status=404)
        return Response(definition)


class SearchView(ResourceView):
    def get(self, request, resource_type):
        kind = _kind(resource_type)
        query = search.parse_query(request, tuple(p.name for p in kind.params))
        page = kind.search(query)
        for resource in page.resources:
            versions.versioned(resource)
        _audit(request, page.resources)
        return Response(bundle.searchset(request, resource_type=resource_type, page=page, query=query))


class ReadView(ResourceView):
    def get(self, request, resource_type, resource_id):
        kind = _kind(resource_type)
        # A read is the whole resource; a summary of one is not served (never ignored).
        search.parse_summary(request, served=("false", "data"))
        resource = versions.versioned(kind.read(resource_id))
        headers = {"ETag": versions.etag(resource)}
        if versions.not_modified(request, resource):
            return Response(status=304, headers=headers)
        _audit(request, [resource])
        return Response(resource, headers=headers)


def _appointment(request, pk: int) -> dict:
    resource = versions.versioned(RESOURCE_TYPES["Appointment"].read(str(pk)))
    _audit(request, [resource])
    return resource


class FindView(FhirView):
    """POST (or GET) Appointment/$find."""

    required_perms = {"GET": [VIEW_APPOINTMENT], "POST": [VIEW_APPOINTMENT]}

    def get(self, request):
        values = {name: request.query_params.getlist(name) for name in request.query_params if name != "_format"}
        return self._answer(request, values)

    def post(self, request):
        return self._answer(request, operations.parameters(self.resource_body(request, "Parameters")))

    def _answer(self, request, values):
        proposals, _ = operations.find(values)
        _audit(request, proposals)
        return Response(bundle.collection_of_proposals(request, operation="$find", proposals=proposals))


class HoldView(FhirView):
    """POST Appointment/$hold with one proposed Appointment from $find: held for this client."""

    required_perms = {"POST": [BOOK]}

    def post(self, request):
        appointment = operations.appointment_to_book(self.resource_body(request, None))
        arguments = operations.booking_arguments(appointment)
        patient = arguments.pop("patient")
        arguments.pop("order", None)
        try:
            hold = holds.hold_time(actor=request.user, **arguments)
        except ServiceRefusal as exc:
            if exc.code != "conflict":
                raise
            return Response(action_outcome(exc), status=409)
        resource = mapping.held_appointment(hold, procedure=arguments["procedure"], patient=patient)
        _audit(request, [resource])
        return Response(resource, status=200)


class BookView(FhirView):
    """POST Appointment/$book with one proposed Appointment from $find (or held by $hold)."""

    required_perms = {"POST": [BOOK]}

    def post(self, request):
        body = self.resource_body(request, None)
        proposal = operations.appointment_to_book(body)
        arguments = operations.booking_arguments(proposal)
        hold_id = mapping.hold_id_of(proposal)
        try:
            if hold_id is not None:
                appointment = holds.book_held(
                    hold_id=hold_id,
                    actor=request.user,
                    repeat_booking_reason=operations.repeat_booking_reason(body),
                    **arguments,
                )
            else:
                appointment = booking.book_appointment(
                    actor=request.user, repeat_booking_reason=operations.repeat_booking_reason(body), **arguments
                )
        except ServiceRefusal as exc:
            if hold_id is not None and exc.code == "conflict":
                return Response(action_outcome(exc), status=409)  # held by another, or lapsed
            if "repeat_booking_reason" in exc.fields:
                return Response(operations.repeat_booking_outcome(exc), status=422)
            if exc.code != "conflict":
                raise
            proposals = operations.proposals(
                exc.suggestions, procedure=arguments["procedure"], patient=arguments["patient"]
            )
            _audit(request, proposals)
            body = bundle.collection_of_proposals(
                request, operation="$book", proposals=proposals, outcome=action_outcome(exc)
            )
            return Response(body, status=409)
        location = f"{bundle.base_url(request)}/Appointment/{appointment.pk}"
        resource = _appointment(request, appointment.pk)
        return Response(resource, status=201, headers={"Location": location, "ETag": versions.etag(resource)})


class CancelView(FhirView):
    """POST Appointment/{id}/$cancel with a reason."""

    required_perms = {"POST": [BOOK]}

    def post(self, request, resource_id):
        if not resource_id.isdigit() or not Appointment.objects.filter(pk=int(resource_id)).exists():
            raise FhirError(f"There is no Appointment with id “{resource_id}”.", status=404)
        reason = operations.cancel_reason(self.resource_body(request, "Parameters"))
        cancellation.cancel_appointment(appointment_id=int(resource_id), actor=request.user, **reason)
        resource = _appointment(request, int(resource_id))
        return Response(resource, headers={"ETag": versions.etag(resource)})
