"""Read and search for each resource type: which rows, which parameters, which role
(the order, its report and its study are in exams.py).

Each search runs a fixed number of queries (one page with its total), whatever the number
of rows; Schedule and Slot are computed from the rooms and staff and the calendar engine
(a Slot search runs one slot search per schedule it covers).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from radiology import rules
from radiology.interfaces.fhir import exams, mapping, search, slots
from radiology.interfaces.fhir.base import ModelResource, Page, Param, ResourceType, galactogram
from radiology.interfaces.fhir.http import FhirError
from radiology.models import Appointment, Patient, Room, StaffMember
from radiology.services import told_table
from scheduling.clinic_time import clinic_zone

# R4 value sets, for telling a typo (400) from a valid code we never use (no match).
APPOINTMENT_STATUSES = (
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
)
GENDERS = ("male", "female", "other", "unknown")


class PatientResource(ModelResource):
    name = "Patient"
    permission = "radiology.view_patient"
    params = (
        Param("identifier", "token", "The MRN, as system|value or value"),
        Param("name", "string", "Start of the given or family name"),
        Param("family", "string", "Start of the family name"),
        Param("given", "string", "Start of the given name"),
        Param("birthdate", "date", "Date of birth (eq, ge, gt, le, lt)"),
        Param("gender", "token", "female, male, other or unknown"),
    )

    def queryset(self):
        return (
            Patient.objects.select_related("merged_into")
            .prefetch_related("merged_records")
            .order_by("family_name", "given_name", "pk")
        )

    def to_fhir(self, obj):
        return mapping.patient(obj)

    def filters(self, query):
        # A merged-away record is read by its id (replaced-by points on), never found.
        condition = Q(merged_into__isnull=True)
        identifiers = search.tokens(query, "identifier")
        if identifiers:
            wanted = Q(pk__in=[])
            for system, value in identifiers:
                if system in (None, "", settings.FHIR_MRN_SYSTEM):
                    wanted |= Q(mrn__iexact=value)
            condition &= wanted
        for name, fields in (
            ("name", ("given_name", "family_name")),
            ("family", ("family_name",)),
            ("given", ("given_name",)),
        ):
            for raw in query.values(name):
                any_of = Q(pk__in=[])
                for word in raw.split(","):
                    for field in fields:
                        any_of |= Q(**{f"{field}__istartswith": word.strip()})
                condition &= any_of
        condition &= search.date_filter(query, "birthdate", "birth_date", dates_only=True)
        genders = [code for _, code in search.tokens(query, "gender")]
        if genders:
            if any(g not in GENDERS for g in genders):
                raise FhirError("gender: use female, male, other or unknown.", expression="gender")
            condition &= Q(sex__in=genders)
        return condition


class PractitionerResource(ModelResource):
    name = "Practitioner"
    permission = "radiology.view_staffmember"
    params = (
        Param("name", "string", "Start of the first or last name"),
        Param("active", "token", "true or false"),
    )

    def queryset(self):
        return (
            StaffMember.objects.filter(role__in=StaffMember.CLINICAL_ROLES)
            .select_related("user", "resource")
            .order_by("user__last_name", "user__first_name", "pk")
        )

    def to_fhir(self, obj):
        return mapping.practitioner(obj)

    def filters(self, query):
        condition = Q()
        for raw in query.values("name"):
            any_of = Q(pk__in=[])
            for word in raw.split(","):
                any_of |= Q(user__first_name__istartswith=word.strip()) | Q(user__last_name__istartswith=word.strip())
            condition &= any_of
        active = search.boolean(query, "active")
        if active is not None:
            both = Q(user__is_active=True, resource__active=True)
            condition &= both if active else ~both
        return condition


class LocationResource(ModelResource):
    name = "Location"
    permission = "radiology.view_room"
    params = (
        Param("name", "string", "Start of the room's name"),
        Param("identifier", "token", "The room's DICOM AE title"),
        Param("status", "token", "active or inactive"),
    )

    def queryset(self):
        return Room.objects.select_related("resource").order_by("name", "pk")

    def to_fhir(self, obj):
        return mapping.location(obj)

    def filters(self, query):
        condition = Q()
        for raw in query.values("name"):
            any_of = Q(pk__in=[])
            for word in raw.split(","):
                any_of |= Q(name__istartswith=word.strip())
            condition &= any_of
        identifiers = search.tokens(query, "identifier")
        if identifiers:
            wanted = Q(pk__in=[])
            for system, value in identifiers:
                if system in (None, "", settings.FHIR_AE_TITLE_SYSTEM) and value:
                    wanted |= Q(ae_title=value)
            condition &= wanted
        statuses = [code for _, code in search.tokens(query, "status")]
        if statuses:
            condition &= Q(resource__active__in=[s == "active" for s in statuses])
        return condition


class AppointmentResource(ModelResource):
    name = "Appointment"
    permission = "radiology.view_appointment"
    params = (
        Param("date", "date", "Start of the appointment (eq, ge, gt, le, lt); a date is a local clinic day"),
        Param("actor", "reference", "Patient/<id>, Practitioner/<id> or Location/<id>"),
        Param("patient", "reference", "Patient/<id>"),
        Param("practitioner", "reference", "Practitioner/<id>: the radiologist or the technologist/nurse"),
        Param("location", "reference", "Location/<id>: the room"),
        Param("status", "token", "Appointment status, comma-separated for any of several"),
        Param("identifier", "token", "The accession number (ACSN)"),
        Param("_lastUpdated", "date", "When the appointment last changed: poll with gt<last poll time> to sync"),
    )

    def queryset(self):
        return Appointment.objects.order_by("start", "pk")

    def loaded(self, rows):
        return rows.values(*mapping.APPOINTMENT_FIELDS)

    def to_fhir(self, obj):
        return mapping.appointment(obj)

    def filters(self, query):
        condition = search.date_filter(query, "date", "start") & search.date_filter(query, "_lastUpdated", "updated_at")
        people = {
            "Patient": lambda ids: Q(patient_id__in=ids),
            "Practitioner": lambda ids: Q(radiologist_id__in=ids) | Q(technologist_id__in=ids),
            "Location": lambda ids: Q(room_id__in=ids),
        }
        for param, kinds in (
            ("actor", ("Patient", "Practitioner", "Location")),
            ("patient", ("Patient",)),
            ("practitioner", ("Practitioner",)),
            ("location", ("Location",)),
        ):
            for raw in query.values(param):
                any_of = Q(pk__in=[])
                for item in raw.split(","):
                    kind, resource_id = search.parse_reference(item, kinds, param)
                    any_of |= people[kind](search.int_ids([resource_id]))
                condition &= any_of
        for raw in query.values("status"):
            codes = raw.split(",")
            unknown = [c for c in codes if c not in APPOINTMENT_STATUSES]
            if unknown:
                raise FhirError(f"status: “{unknown[0]}” is not an R4 appointment status.", expression="status")
            condition &= Q(status__in=told_table.statuses_with_fhir(codes))
        identifiers = search.tokens(query, "identifier")
        if identifiers:
            wanted = Q(pk__in=[])
            for system, value in identifiers:
                if system in (None, "", settings.FHIR_ACCESSION_SYSTEM) and value:
                    wanted |= Q(order__accession_number=value)
            condition &= wanted
        return condition


class ScheduleResource(ResourceType):
    name = "Schedule"
    permission = "radiology.view_appointment"
    params = (
        Param("actor", "reference", "Location/<id> or Practitioner/<id>"),
        Param("active", "token", "true or false"),
    )

    def read(self, resource_id):
        found = [s for s in slots.schedules() if s.id == resource_id]
        if not found:
            raise self.missing(resource_id)
        return mapping.schedule(found[0], galactogram())

    def search(self, query):
        chosen = slots.schedules()
        actors = search.references(query, "actor", ("Location", "Practitioner")) if query.values("actor") else None
        if actors is not None:
            wanted = {f"{'room' if kind == 'Location' else 'staff'}-{rid}" for kind, rid in actors}
            chosen = [s for s in chosen if s.id in wanted]
        active = search.boolean(query, "active")
        if active is not None:
            chosen = [s for s in chosen if bool(s.resource.active) == active]
        ids = {i for v in query.values("_id") for i in v.split(",")}
        if ids:
            chosen = [s for s in chosen if s.id in ids]
        procedure = galactogram()
        page = chosen[query.offset : query.offset + query.count]
        return Page(total=len(chosen), resources=[mapping.schedule(s, procedure) for s in page])


class SlotResource(ResourceType):
    name = "Slot"
    permission = "radiology.view_appointment"
    params = (
        Param("schedule", "reference", "Schedule/<id> (room-<id> or staff-<id>); all schedules when absent"),
        Param("start", "date", "Slot start (eq, ge, gt, le, lt); at most 31 days; default the next 7 days"),
        Param("status", "token", "free, busy or busy-unavailable, comma-separated"),
    )
    STATUSES = ("busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error")

    def read(self, resource_id):
        procedure = galactogram()
        item = slots.slot_by_id(resource_id, procedure=procedure)
        if item is None:
            raise self.missing(resource_id)
        return mapping.slot(item, procedure)

    def search(self, query):
        lower, upper = search.date_window(query, "start")
        lower = lower or timezone.now()
        upper = upper or lower + timedelta(days=7)
        if upper - lower > timedelta(days=slots.MAX_WINDOW_DAYS):
            raise FhirError(f"start: search at most {slots.MAX_WINDOW_DAYS} days of slots at a time.")
        if problem := rules.day_beyond_horizon(lower.astimezone(clinic_zone()).date()):
            raise FhirError(f"start: {problem}", expression="start")
        statuses = {code for _, code in search.tokens(query, "status")} or {"free", "busy", "busy-unavailable"}
        unknown = statuses - set(self.STATUSES)
        if unknown:
            raise FhirError(f"status: “{sorted(unknown)[0]}” is not an R4 slot status.", expression="status")
        chosen = slots.schedules()
        if query.values("schedule"):
            wanted = {rid for _, rid in search.references(query, "schedule", ("Schedule",))}
            chosen = [s for s in chosen if s.id in wanted]
        procedure = galactogram()
        items = slots.slots_between(chosen, lower, upper, statuses=statuses, procedure=procedure)
        ids = {i for v in query.values("_id") for i in v.split(",")}
        if ids:
            items = [i for i in items if i.id in ids]
        page = items[query.offset : query.offset + query.count]
        return Page(total=len(items), resources=[mapping.slot(i, procedure) for i in page])


RESOURCE_TYPES: dict[str, ResourceType] = {
    r.name: r
    for r in (
        PatientResource(),
        PractitionerResource(),
        LocationResource(),
        ScheduleResource(),
        SlotResource(),
        AppointmentResource(),
        exams.ServiceRequestResource(),
        exams.DiagnosticReportResource(),
        exams.ImagingStudyResource(),
    )
}
