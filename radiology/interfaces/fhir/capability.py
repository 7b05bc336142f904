"""GET /fhir/R4/metadata: what this server does, for clients to discover."""

from django.conf import settings

from radiology.interfaces.fhir.mapping import instant
from radiology.interfaces.fhir.resources import RESOURCE_TYPES

SOFTWARE_VERSION = "1.0.0"
OPERATIONS = {
    "Appointment": [
        ("find", "Free starts between `start` and `end` (at most 31 days) as proposed Appointments"),
        ("book", "Book one proposed Appointment as it is: 201 booked, or 409 with the next free proposals"),
        ("hold", "Hold one proposed Appointment for this client (FHIR_HOLD_MINUTES); $book it before it lapses"),
        ("cancel", "Cancel a booked Appointment with a `reason` (POST Appointment/{id}/$cancel)"),
    ]
}
COMMON_PARAMS = [
    {"name": "_id", "type": "token", "documentation": "The resource id"},
    {"name": "_count", "type": "number", "documentation": "Page size"},
]


def _definition(resource_type: str, param: str) -> str:
    return f"Resource-{param[1:]}" if param.startswith("_") else f"{resource_type}-{param}"


def _search_param(resource_type: str, param) -> dict:
    entry = {"name": param.name}
    if param.definition != "-":  # "-": ours alone, no SearchParameter of the spec to name
        code = param.definition or _definition(resource_type, param.name)
        entry["definition"] = f"http://hl7.org/fhir/SearchParameter/{code}"
    return {**entry, "type": param.type, "documentation": param.documentation}


def capability_statement(base: str, published) -> dict:
    resources = []
    for name, kind in RESOURCE_TYPES.items():
        entry = {
            "type": name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            # meta.versionId and a weak ETag on every resource; If-None-Match answers 304.
            "versioning": "versioned",
            "conditionalRead": "not-match",
            "searchParam": [
                *COMMON_PARAMS,
                *(_search_param(name, p) for p in kind.params),
            ],
        }
        if name in OPERATIONS:
            entry["operation"] = [
                {"name": op, "definition": f"{base}/OperationDefinition/Appointment-{op}", "documentation": doc}
                for op, doc in OPERATIONS[name]
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(published),
        "publisher": "Breast imaging department",
        "kind": "instance",
        "software": {"name": "Galactogram scheduling", "version": SOFTWARE_VERSION},
        "implementation": {"description": "Galactogram scheduling FHIR R4 API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read and search over patients, staff, rooms, schedules, slots and appointments, and over "
                    "the orders (ServiceRequest), their reports (DiagnosticReport) and studies (ImagingStudy); "
                    "$find and $book for booking. Times are in " + settings.CLINIC_TIME_ZONE + " with offsets. "
                    "Searches take _summary=count (the total alone); _summary=true and text are refused (400)."
                ),
                "security": {
                    "description": (
                        "Send “Authorization: Token <token>” (an API token issued per system with "
                        "`manage.py issue_api_token USERNAME`) or use a staff login session. The token's user "
                        "has the roles of /api/v1: reading needs a department role, booking the scheduler's."
                    )
                },
                "resource": resources,
            }
        ],
    }
