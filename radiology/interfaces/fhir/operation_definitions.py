"""OperationDefinitions for $find, $book and $cancel, which the CapabilityStatement points to
(GET /fhir/R4/OperationDefinition/Appointment-find …): the parameters a client may send."""

# name, use, min, max, type, documentation
FIND = [
    ("start", "in", 1, "1", "dateTime", "First date or time to look from (a date is the local clinic day)"),
    ("end", "in", 0, "1", "dateTime", "Last date or time (a date includes that day); at most 31 days after start"),
    ("_count", "in", 0, "1", "integer", "How many proposals (default 20, at most 100)"),
    ("practitioner", "in", 0, "1", "Reference", "Practitioner/{id}: that radiologist or technologist/nurse"),
    ("location", "in", 0, "1", "Reference", "Location/{id}: that room"),
    (
        "patient",
        "in",
        0,
        "1",
        "Reference",
        "Patient/{id}: avoid her other bookings; added to each proposal. When she already has a galactogram "
        "ahead, each proposal names it (extension urn:galactogram:fhir:StructureDefinition:already-booked, "
        "valueReference Appointment/{id}, and a comment): booking one needs repeatBookingReason",
    ),
    ("minutesDuration", "in", 0, "1", "integer", "30 or 45 (default 45)"),
    ("return", "out", 1, "1", "Bundle", "Proposed Appointments, one per free start"),
]
BOOK = [
    ("appt-resource", "in", 1, "1", "Appointment", "A proposal from $find (or send the Appointment as the body)"),
    ("patient", "in", 0, "1", "Reference", "Patient/{id}, when the proposal does not name her"),
    (
        "repeatBookingReason",
        "in",
        0,
        "1",
        "string",
        "Why she needs a second galactogram when she already has one ahead (required then: 422 names the one she "
        "has). Or the extension urn:galactogram:fhir:StructureDefinition:repeat-booking-reason (valueString) on "
        "the Appointment",
    ),
    ("return", "out", 1, "1", "Appointment", "201: the booked Appointment; 409: a Bundle with the next proposals"),
]
HOLD = [
    ("appt-resource", "in", 1, "1", "Appointment", "A proposal from $find (or send the Appointment as the body)"),
    ("patient", "in", 0, "1", "Reference", "Patient/{id}, when the proposal does not name her"),
    (
        "return",
        "out",
        1,
        "1",
        "Appointment",
        "200: the proposal held for this client, status pending, with identifier urn:galactogram:fhir:hold (send "
        "it back to $book) and the extension urn:galactogram:fhir:StructureDefinition:hold-expires; 409: taken",
    ),
]
CANCEL = [
    ("reason", "in", 1, "1", "CodeableConcept", "Why (a string, a Coding or a CodeableConcept)"),
    ("return", "out", 1, "1", "Appointment", "The cancelled Appointment"),
]
OPERATIONS = {
    "find": ("Find free appointment times", False, FIND),
    "book": ("Book a proposed appointment", False, BOOK),
    "hold": ("Hold a proposed appointment for a while", False, HOLD),
    "cancel": ("Cancel an appointment", True, CANCEL),
}


def operation_definition(base: str, code: str) -> dict | None:
    if code not in OPERATIONS:
        return None
    title, on_instance, params = OPERATIONS[code]
    return {
        "resourceType": "OperationDefinition",
        "id": f"Appointment-{code}",
        "url": f"{base}/OperationDefinition/Appointment-{code}",
        "name": f"Appointment{code.capitalize()}",
        "title": title,
        "status": "active",
        "kind": "operation",
        "affectsState": code != "find",
        "code": code,
        "resource": ["Appointment"],
        "system": False,
        "type": not on_instance,
        "instance": on_instance,
        "parameter": [
            {"name": name, "use": use, "min": low, "max": high, "type": kind, "documentation": doc}
            for name, use, low, high, kind, doc in params
        ],
    }
