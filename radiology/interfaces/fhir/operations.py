"""$find, $book and $cancel: FHIR Parameters in, the booking services, FHIR out.

$find lists free starts from the same slot search as the pages; $book hands one of them
back to book_appointment, so lead time, the no-double-booking guarantee and reminders
hold; $cancel calls cancel_appointment. Parsing is all that happens here.
"""

import uuid
from datetime import datetime, timedelta
from functools import wraps

from django.utils import timezone

from procedures.reasons import CancelReason
from radiology import rules
from radiology.interfaces.fhir import mapping, search
from radiology.interfaces.fhir.http import FhirError, operation_outcome
from radiology.interfaces.fhir.resources import galactogram
from radiology.interfaces.fhir.slots import MAX_WINDOW_DAYS
from radiology.models import Order, Patient, Room, StaffMember
from radiology.services import patient_merge
from radiology.services.slots import find_galactogram_slots

MAX_PROPOSALS = 100
DEFAULT_PROPOSALS = 20


# --- Parameters ---------------------------------------------------------------------------


def shaped(parse):
    """A body that is JSON but not shaped as FHIR (a list where an object belongs, a number
    for a reference) is the client's 400, not our 500."""

    @wraps(parse)
    def wrapper(*args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except (AttributeError, TypeError, KeyError) as exc:
            raise FhirError(f"The request body is not shaped as FHIR R4 expects ({exc}).", code="structure") from exc

    return wrapper


@shaped
def parameters(body: dict) -> dict[str, list]:
    """name → values of a Parameters resource (each value[x], or the resource)."""
    if body.get("resourceType") != "Parameters":
        raise FhirError("Send a Parameters resource.", code="structure")
    found: dict[str, list] = {}
    for param in body.get("parameter") or []:
        if not isinstance(param, dict) or "name" not in param:
            raise FhirError("Each parameter needs a name.", code="structure")
        values = [v for k, v in param.items() if k.startswith("value") or k == "resource"]
        found.setdefault(param["name"], []).extend(values)
    return found


def reference_id(value, kinds: tuple[str, ...], name: str) -> tuple[str, str]:
    """A Reference ({"reference": "Patient/3"}) or a string ("Patient/3")."""
    text = value.get("reference", "") if isinstance(value, dict) else str(value)
    return search.parse_reference(text, kinds, name)


def _single(values: dict, name: str):
    items = values.get(name) or []
    if len(items) > 1:
        raise FhirError(f"Give “{name}” once.", expression=name)
    return items[0] if items else None


def _row(rows, resource_id: str, what: str, name: str, **filters):
    row = rows.filter(pk=int(resource_id), **filters).first() if resource_id.isdigit() else None
    if row is None:
        raise FhirError(f"{name}: there is no {what} with id “{resource_id}”.", status=422, expression=name)
    return row


def _staff(resource_id: str, name: str) -> StaffMember:
    return _row(
        StaffMember.objects.select_related("resource", "user"),
        resource_id,
        "radiologist, technologist or nurse",
        name,
        role__in=StaffMember.CLINICAL_ROLES,
    )


# --- $find --------------------------------------------------------------------------------


@shaped
def find(values: dict) -> tuple[list[dict], Patient | None]:
    """Proposed Appointments for the free starts in [start, end)."""
    procedure = galactogram()
    raw_start, raw_end = _single(values, "start"), _single(values, "end")
    if raw_start is None:
        raise FhirError("Give “start”: the first date or time to look from.", expression="start")
    start = search.date_range(str(raw_start), "start")[0]
    end = search.date_range(str(raw_end), "end")[1] if raw_end is not None else start + timedelta(days=7)
    if end <= start:
        raise FhirError("“end” is before “start”.", expression="end")
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise FhirError(f"“start” and “end” may be at most {MAX_WINDOW_DAYS} days apart.", expression="end")
    count = search.count_value(_single(values, "_count"), default=DEFAULT_PROPOSALS, maximum=MAX_PROPOSALS)
    minutes = _single(values, "minutesDuration") or procedure.default_duration_minutes
    if isinstance(minutes, str) and minutes.isdigit():  # from a GET query string
        minutes = int(minutes)
    if problem := rules.duration_problem(procedure, minutes):
        raise FhirError(f"minutesDuration: {problem}", expression="minutesDuration")
    if problem := rules.day_beyond_horizon(start.astimezone(mapping.clinic_zone()).date()):
        raise FhirError(f"start: {problem}", expression="start")
    narrow: dict = {}
    practitioner = _single(values, "practitioner")
    if practitioner is not None:
        member = _staff(reference_id(practitioner, ("Practitioner",), "practitioner")[1], "practitioner")
        narrow["radiologist" if member.role == StaffMember.Role.RADIOLOGIST else "technologist"] = member
    location = _single(values, "location")
    if location is not None:
        narrow["room"] = _row(
            Room.objects.select_related("resource"),
            reference_id(location, ("Location",), "location")[1],
            "room",
            "location",
        )
    patient = None
    if (raw_patient := _single(values, "patient")) is not None:
        patient = _row(
            Patient.objects.all(), reference_id(raw_patient, ("Patient",), "patient")[1], "patient", "patient"
        )
    if count == 0:
        return [], patient
    zone = mapping.clinic_zone()
    options = find_galactogram_slots(
        procedure=procedure,
        duration_minutes=minutes,
        start_date=start.astimezone(zone).date(),
        end_date=end.astimezone(zone).date(),
        earliest=start,
        patient=patient,
        limit=count,
        **narrow,
    )
    return proposals([o for o in options if o.start < end], procedure=procedure, patient=patient), patient


def proposals(options, *, procedure, patient) -> list[dict]:
    # The galactogram she already has ahead, named in each proposal (booking counts it so).
    ahead = None
    if patient is not None:
        ahead = next(iter(patient_merge.galactograms_ahead(patient, now=timezone.now())), None)
    result = []
    for option in options:
        proposal = mapping.proposed_appointment(option, procedure=procedure, patient=patient, ahead=ahead)
        key = f"{option.start.isoformat()}|{option.room.pk}|{option.radiologist.pk}|{option.technologist.pk}"
        proposal["_urn"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key}|{patient.pk if patient else ''}"))
        result.append(proposal)
    return result


# --- $book --------------------------------------------------------------------------------


@shaped
def appointment_to_book(body: dict) -> dict:
    """The Appointment to book, sent as it is or in Parameters (appt-resource / appointment)."""
    if body.get("resourceType") == "Appointment":
        return body
    values = parameters(body)
    for name in ("appt-resource", "appointment"):
        resource = _single(values, name)
        if isinstance(resource, dict) and resource.get("resourceType") == "Appointment":
            if (extra := _single(values, "patient")) is not None:
                resource = {**resource, "participant": [*(resource.get("participant") or []), {"actor": extra}]}
            return resource
    raise FhirError("Send the proposed Appointment, or Parameters with it as “appt-resource”.", code="structure")


@shaped
def booking_arguments(appointment: dict) -> dict:
    """book_appointment's keyword arguments from a proposed Appointment."""
    procedure = galactogram()
    if appointment.get("status", "proposed") not in ("proposed", "pending", "booked"):
        raise FhirError("Only a proposed Appointment (from $find) can be booked.", status=422, expression="status")
    codes = {c.get("code") for concept in appointment.get("serviceType") or [] for c in concept.get("coding") or []} - {
        None
    }
    if codes and procedure.injection_cpt not in codes:
        raise FhirError(
            f"This department books {procedure.name} (CPT {procedure.injection_cpt}) only.",
            status=422,
            expression="serviceType",
        )
    start = _instant(appointment.get("start"), "start")
    if appointment.get("minutesDuration") is not None:
        minutes = appointment["minutesDuration"]
    elif appointment.get("end"):
        minutes = round((_instant(appointment["end"], "end") - start).total_seconds() / 60)
    else:
        minutes = procedure.default_duration_minutes
    if not isinstance(minutes, int):
        raise FhirError("minutesDuration must be a whole number.", expression="minutesDuration")
    chosen: dict = {"procedure": procedure, "start": start, "duration_minutes": minutes}
    for participant in appointment.get("participant") or []:
        kind, resource_id = reference_id(
            participant.get("actor") or {}, ("Patient", "Practitioner", "Location"), "participant.actor"
        )
        if kind == "Patient":
            chosen["patient"] = _row(Patient.objects.all(), resource_id, "patient", "participant.actor")
        elif kind == "Location":
            chosen["room"] = _row(Room.objects.select_related("resource"), resource_id, "room", "participant.actor")
        else:
            member = _staff(resource_id, "participant.actor")
            chosen["radiologist" if member.role == StaffMember.Role.RADIOLOGIST else "technologist"] = member
    if "patient" not in chosen:
        raise FhirError(
            "Add the patient as a participant (actor Patient/<id>) before booking.",
            status=422,
            expression="participant",
        )
    accession = next(
        (
            i.get("value")
            for i in appointment.get("identifier") or []
            if any(c.get("code") == "ACSN" for c in (i.get("type") or {}).get("coding") or [])
        ),
        None,
    )
    if accession:
        # Booked from the EHR's order: its accession number and Study UID carry over.
        chosen["order"] = Order.objects.filter(accession_number=accession).first()
        if chosen["order"] is None:
            raise FhirError(
                f"There is no order with accession number {accession}.", status=422, expression="identifier"
            )
    return chosen


@shaped
def repeat_booking_reason(body: dict) -> str:
    """Why a second galactogram is booked for her: the parameter `repeatBookingReason`
    (valueString) of $book's Parameters, or the extension of that name on the Appointment."""
    appointment = body
    if body.get("resourceType") == "Parameters":
        values = parameters(body)
        given = _single(values, "repeatBookingReason")
        if given is not None:
            if not isinstance(given, str):
                raise FhirError("repeatBookingReason is a string (valueString).", expression="repeatBookingReason")
            return given.strip()
        appointment = next(
            (v for name in ("appt-resource", "appointment") for v in values.get(name) or [] if isinstance(v, dict)),
            {},
        )
    for extension in appointment.get("extension") or []:
        if extension.get("url") == mapping.REPEAT_BOOKING_REASON:
            return str(extension.get("valueString") or "").strip()
    return ""


def repeat_booking_outcome(exc) -> dict:
    """The refusal of a second galactogram without a reason, saying how to give one here."""
    outcome = operation_outcome(exc.message, code="business-rule")
    outcome["issue"][0]["expression"] = ["repeatBookingReason"]
    outcome["issue"].append(
        {
            "severity": "information",
            "code": "informational",
            "diagnostics": "To book another anyway, send the parameter repeatBookingReason (valueString) with $book, "
            f"or the extension {mapping.REPEAT_BOOKING_REASON} on the Appointment.",
        }
    )
    return outcome


def _instant(value, name: str) -> datetime:
    if not isinstance(value, str):
        raise FhirError(
            f"Give “{name}” as an instant with its offset, e.g. 2026-12-01T09:00:00-05:00.", expression=name
        )
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FhirError(f"{name}: “{value}” is not a FHIR instant.", expression=name) from None
    if moment.tzinfo is None:
        raise FhirError(f"{name}: give the time with its offset; “{value}” is ambiguous.", expression=name)
    return moment


# --- $cancel ------------------------------------------------------------------------------


@shaped
def cancel_reason(body: dict) -> dict:
    """cancel_appointment's reason_code and note from `reason` (a string, a Coding or a
    CodeableConcept) and an optional `note`. A code of ours or a mapped FHIR
    appointment-cancellation-reason code is used as is; anything else is "other" with its
    text as the note. The service refuses an unknown code or "other" without a note."""
    values = parameters(body)
    value, note = _single(values, "reason"), str(_single(values, "note") or "").strip()
    if isinstance(value, str):
        text = value.strip()
        code = text if text in CancelReason.values else CancelReason.OTHER
        return {"reason_code": code, "note": note or ("" if code == text else text)}
    if not isinstance(value, dict):
        raise FhirError("Give a “reason” for cancelling (a coded reason or text).", status=400, expression="reason")
    codings = value.get("coding") or ([value] if "code" in value else [])
    for coding in codings:
        system, code = coding.get("system"), coding.get("code")
        if system == mapping.CANCEL_REASON_SYSTEM:
            if code not in CancelReason.values:
                choices = ", ".join(CancelReason.values)
                raise FhirError(f"Unknown cancel reason “{code}”; use one of {choices}.", status=422)
            return {"reason_code": code, "note": note or (value.get("text") or "").strip()}
        if system == mapping.CANCELLATION_REASON and code in mapping.FROM_FHIR_CANCELLATION_REASON:
            return {"reason_code": mapping.FROM_FHIR_CANCELLATION_REASON[code], "note": note}
    first = codings[0] if codings else {}
    text = (value.get("text") or first.get("display") or first.get("code") or "").strip()
    return {"reason_code": CancelReason.OTHER, "note": note or text}
