"""Read and search for the exam's resources: ServiceRequest (an order), DiagnosticReport (its
report) and ImagingStudy (an order's MPPS steps). Ids are our row ids: ServiceRequest/<order>,
DiagnosticReport/<report>, ImagingStudy/<order> (one study per order: its Study Instance UID).

Each search is one query for the page with its total, plus fixed prefetches (a report's
addenda; a study's appointments and steps), whatever the number of rows.
"""

from urllib.parse import unquote

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Prefetch, Q, Subquery

from radiology.interfaces.fhir import exam_mapping, search
from radiology.interfaces.fhir.base import ModelResource, Param
from radiology.interfaces.fhir.http import FhirError
from radiology.models import Appointment, Order, PerformedProcedureStep, Report, ReportAddendum
from radiology.services.order_lifecycle import ENDED_WITHOUT_EXAM

# R4 value sets, for telling a typo (400) from a valid code that matches nothing here.
REQUEST_STATUSES = ("draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown")
REPORT_STATUSES = (
    "registered",
    "partial",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "appended",
    "cancelled",
    "entered-in-error",
    "unknown",
)
STUDY_STATUSES = ("registered", "available", "cancelled", "entered-in-error", "unknown")
PATIENT = Param("patient", "reference", "Patient/<id>", "clinical-patient")
STEP = PerformedProcedureStep.Status


def _codes(query, name: str, allowed: tuple[str, ...], what: str) -> list[str]:
    """Every status asked for (comma values ORed; repeated parameters ANDed, flattened here
    as no resource has two statuses), or a 400 naming the first code R4 does not define."""
    codes = [code for _, code in search.tokens(query, name)]
    unknown = [c for c in codes if c not in allowed]
    if unknown:
        raise FhirError(f"{name}: “{unknown[0]}” is not an R4 {what} status.", expression=name)
    return codes


def _ids(query, name: str, kind: str) -> list[int] | None:
    """Database ids of the references given, or None when the parameter is absent."""
    if not query.values(name):
        return None
    return search.int_ids([rid for _, rid in search.references(query, name, (kind,))])


def _accession(query, name: str, field: str) -> Q | None:
    """identifier=<accession> or <accession system>|<accession>; another system matches none."""
    pairs = search.tokens(query, name)
    if not pairs:
        return None
    wanted = Q(pk__in=[])
    for system, value in pairs:
        if system in (None, "", settings.FHIR_ACCESSION_SYSTEM) and value:
            wanted |= Q(**{field: value})
    return wanted


def _and(condition: Q, extra: Q | None) -> Q:
    return condition if extra is None else condition & extra


class ServiceRequestResource(ModelResource):
    name = "ServiceRequest"
    permission = "radiology.view_order"
    params = (
        PATIENT,
        Param(
            "identifier",
            "token",
            "The accession number (ACSN/FILL), or the placer's order number as <placer system>|<number>",
            "clinical-identifier",
        ),
        Param("status", "token", "active (waiting or scheduled), completed or revoked, comma-separated"),
        Param("authored", "date", "When the order reached the department (eq, ge, gt, le, lt)"),
        Param("occurrence", "date", "The booked appointment's start (eq, ge, gt, le, lt)"),
        Param("date", "date", "The same as occurrence", "-"),
    )

    def queryset(self):
        booked = Appointment.objects.filter(order=OuterRef("pk")).exclude(status__in=ENDED_WITHOUT_EXAM)
        booked = booked.order_by("-start", "-pk")
        return (
            Order.objects.select_related("patient", "procedure")
            .annotate(
                occurrence_start=Subquery(booked.values("start")[:1]),
                occurrence_end=Subquery(booked.values("end")[:1]),
            )
            .order_by("received_at", "pk")
        )

    def to_fhir(self, obj):
        return exam_mapping.service_request(obj)

    def filters(self, query):
        condition = search.date_filter(query, "authored", "received_at")
        condition &= search.date_filter(query, "occurrence", "occurrence_start")
        condition &= search.date_filter(query, "date", "occurrence_start")
        if (patients := _ids(query, "patient", "Patient")) is not None:
            condition &= Q(patient_id__in=patients)
        if query.values("status"):
            wanted = set()
            for code in _codes(query, "status", REQUEST_STATUSES, "request"):
                wanted |= {ours for ours, fhir in exam_mapping.SERVICE_REQUEST_STATUS.items() if fhir == code}
            condition &= Q(status__in=wanted)
        pairs = search.tokens(query, "identifier")
        if pairs:
            wanted = Q(pk__in=[])
            placers = {uri: namespace for namespace, uri in settings.FHIR_PLACER_SYSTEMS.items()}
            for system, value in pairs:
                if not value:
                    continue
                if system in (None, "", settings.FHIR_ACCESSION_SYSTEM):
                    wanted |= Q(accession_number=value)
                if system in placers:
                    wanted |= Q(placer_system=placers[system], placer_order_number=value)
                elif system and system.startswith(exam_mapping.PLACER_SYSTEM_PREFIX):
                    namespace = unquote(system.removeprefix(exam_mapping.PLACER_SYSTEM_PREFIX))
                    wanted |= Q(placer_system=namespace, placer_order_number=value)
            condition &= wanted
        return condition


class DiagnosticReportResource(ModelResource):
    name = "DiagnosticReport"
    permission = "radiology.view_report"
    params = (
        PATIENT,
        Param("based-on", "reference", "ServiceRequest/<id>: the order reported on"),
        Param("identifier", "token", "The accession number (ACSN)", "clinical-identifier"),
        Param(
            "status",
            "token",
            "preliminary, final, or appended (final with addenda; amended finds these too), comma-separated",
        ),
        Param("date", "date", "When the exam was performed (eq, ge, gt, le, lt)", "clinical-date"),
    )

    def queryset(self):
        steps = PerformedProcedureStep.objects.filter(appointment__order_id=OuterRef("appointment__order_id"))
        addenda = ReportAddendum.objects.select_related("signed_by__user").order_by("number")
        return (
            Report.objects.select_related(
                "appointment__order",
                "appointment__patient",
                "appointment__outcome",
                "radiologist__user",
                "signed_by__user",
            )
            .prefetch_related(Prefetch("addenda", queryset=addenda))
            .annotate(
                has_study=Exists(steps),
                has_addenda=Exists(ReportAddendum.objects.filter(report=OuterRef("pk"))),
            )
            .order_by("appointment__performed_at", "pk")
        )

    def to_fhir(self, obj):
        return exam_mapping.diagnostic_report(obj)

    def filters(self, query):
        condition = search.date_filter(query, "date", "appointment__performed_at")
        if (patients := _ids(query, "patient", "Patient")) is not None:
            condition &= Q(appointment__patient_id__in=patients)
        if (orders := _ids(query, "based-on", "ServiceRequest")) is not None:
            condition &= Q(appointment__order_id__in=orders)
        if query.values("status"):
            final = Report.Status.FINAL
            by_code = {
                "preliminary": Q(status=Report.Status.PRELIMINARY),
                "final": Q(status=final, has_addenda=False),
                "appended": Q(status=final, has_addenda=True),
                # R4 defines appended as a kind of amended: an EHR asking for amended reports wants these.
                "amended": Q(status=final, has_addenda=True),
            }
            wanted = Q(pk__in=[])
            for code in _codes(query, "status", REPORT_STATUSES, "diagnostic report"):
                wanted |= by_code.get(code, Q(pk__in=[]))
            condition &= wanted
        return _and(condition, _accession(query, "identifier", "appointment__order__accession_number"))


class ImagingStudyResource(ModelResource):
    name = "ImagingStudy"
    permission = "radiology.view_appointment"
    params = (
        PATIENT,
        Param("basedon", "reference", "ServiceRequest/<id>: the order performed", "ImagingStudy-basedon"),
        Param("based-on", "reference", "The same as basedon", "ImagingStudy-basedon"),
        Param(
            "identifier",
            "token",
            "The accession number (ACSN), or the Study Instance UID (urn:dicom:uid|urn:oid:<uid>)",
            "clinical-identifier",
        ),
        Param("status", "token", "registered (in progress), available or cancelled, comma-separated"),
        Param("started", "date", "When the first step started (eq, ge, gt, le, lt)"),
        Param("date", "date", "The same as started", "-"),
    )

    def queryset(self):
        steps = PerformedProcedureStep.objects.filter(appointment__order_id=OuterRef("pk"))
        first = steps.exclude(started_at=None).order_by(F("started_at").asc(), "pk").values("started_at")[:1]
        return (
            Order.objects.filter(Exists(steps))
            .select_related("patient", "procedure")
            .prefetch_related(
                Prefetch("appointments", queryset=Appointment.objects.order_by("start", "pk")),
                Prefetch(
                    "appointments__performed_steps",
                    queryset=PerformedProcedureStep.objects.order_by("received_at", "pk"),
                ),
            )
            .annotate(
                study_started=Subquery(first),
                has_completed=Exists(steps.filter(status=STEP.COMPLETED)),
                has_in_progress=Exists(steps.filter(status=STEP.IN_PROGRESS)),
            )
            .order_by(F("study_started").asc(nulls_last=True), "pk")
        )

    def to_fhir(self, obj):
        steps = [step for appointment in obj.appointments.all() for step in appointment.performed_steps.all()]
        steps.sort(key=lambda s: (s.received_at, s.pk))
        return exam_mapping.imaging_study(obj, steps)

    def filters(self, query):
        condition = search.date_filter(query, "started", "study_started")
        condition &= search.date_filter(query, "date", "study_started")
        if (patients := _ids(query, "patient", "Patient")) is not None:
            condition &= Q(patient_id__in=patients)
        for name in ("basedon", "based-on"):
            if (orders := _ids(query, name, "ServiceRequest")) is not None:
                condition &= Q(pk__in=orders)
        if query.values("status"):
            by_code = {
                "available": Q(has_completed=True),
                "registered": Q(has_completed=False, has_in_progress=True),
                "cancelled": Q(has_completed=False, has_in_progress=False),
            }
            wanted = Q(pk__in=[])
            for code in _codes(query, "status", STUDY_STATUSES, "imaging study"):
                wanted |= by_code.get(code, Q(pk__in=[]))
            condition &= wanted
        pairs = search.tokens(query, "identifier")
        if pairs:
            wanted = Q(pk__in=[])
            for system, value in pairs:
                if not value:
                    continue
                if system in (None, "", settings.FHIR_ACCESSION_SYSTEM):
                    wanted |= Q(accession_number=value)
                if system in (None, "", exam_mapping.DICOM_UID):
                    wanted |= Q(study_instance_uid=value.removeprefix("urn:oid:"))
            condition &= wanted
        return condition
