"""The exam after the room over FHIR: the order (ServiceRequest), its report (DiagnosticReport)
and its study (ImagingStudy), each valid R4 (fhir.resources R4B, through `fhir`), read with its
version and searched by patient, order, accession, status and date in a fixed number of queries."""

import base64
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from radiology.models import Order, PerformedProcedureStep
from scheduling.clinic_time import clinic_zone
from tests.factories import (
    AppointmentFactory,
    OrderFactory,
    PerformedProcedureStepFactory,
    ProcedureOutcomeFactory,
    ReportAddendumFactory,
    ReportFactory,
)
from tests.radiology.interfaces.fhir.conftest import fhir

pytestmark = pytest.mark.django_db

EXAM_DAY = datetime(2026, 11, 18, 9, 0, tzinfo=clinic_zone())
STEP = PerformedProcedureStep.Status


def ids(response) -> list[int]:
    return [int(e["resource"]["id"]) for e in response.body.get("entry", [])]


def performed(**order_fields):
    """A completed exam on EXAM_DAY from an order with these facts."""
    order = OrderFactory(status=Order.Status.COMPLETED, **order_fields)
    return AppointmentFactory(
        order=order, patient=order.patient, procedure=order.procedure, status="completed", start=EXAM_DAY
    )


def identifier(resource: dict, code: str) -> dict:
    return next(i for i in resource["identifier"] if i.get("type", {}).get("coding", [{}])[0].get("code") == code)


def test_the_capability_statement_names_each_exam_resource_s_search_parameters(client):
    statement = fhir(client, "GET", "metadata").body
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    params = {name: {p["name"]: p.get("definition", "") for p in resources[name]["searchParam"]} for name in resources}
    base = "http://hl7.org/fhir/SearchParameter/"
    assert {"patient", "identifier", "status", "authored", "occurrence", "date"} <= set(params["ServiceRequest"])
    assert params["DiagnosticReport"]["patient"] == base + "clinical-patient"
    assert params["DiagnosticReport"]["based-on"] == base + "DiagnosticReport-based-on"
    assert params["DiagnosticReport"]["date"] == base + "clinical-date"
    assert params["ImagingStudy"]["based-on"] == params["ImagingStudy"]["basedon"] == base + "ImagingStudy-basedon"
    assert params["ImagingStudy"]["date"] == ""  # ours alone: no SearchParameter to name
    assert all(resources[name]["versioning"] == "versioned" for name in ("ServiceRequest", "ImagingStudy"))


# --- ServiceRequest -----------------------------------------------------------------------


def test_an_order_is_a_service_request_with_placer_filler_and_accession(client, settings):
    settings.FHIR_PLACER_SYSTEMS = {"EPIC": "urn:oid:1.2.840.99.1"}
    order = OrderFactory(
        placer_system="EPIC",
        placer_order_number="ORD-77",
        referring_physician_npi="1234567893",
        priority=Order.Priority.URGENT,
        indication=Order.Indication.BLOODY,
    )
    response = fhir(client, "GET", f"ServiceRequest/{order.pk}")
    request = response.body
    assert response["ETag"] == f'W/"{request["meta"]["versionId"]}"'
    assert request["status"] == "active"
    assert request["intent"] == "order"
    assert request["priority"] == "urgent"
    assert identifier(request, "PLAC")["system"] == "urn:oid:1.2.840.99.1"
    assert identifier(request, "PLAC")["value"] == "ORD-77"
    assert identifier(request, "FILL")["value"] == order.accession_number
    assert identifier(request, "ACSN") == {
        "use": "usual",
        "type": identifier(request, "ACSN")["type"],
        "system": settings.FHIR_ACCESSION_SYSTEM,
        "value": order.accession_number,
    }
    assert request["code"]["coding"][0] == {
        "system": "http://www.ama-assn.org/go/cpt",
        "code": "19030",
        "display": "Injection procedure for mammary ductogram or galactogram",
    }
    assert request["subject"]["reference"] == f"Patient/{order.patient_id}"
    assert request["requester"] == {
        "identifier": {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"},
        "display": "Gregory House",
    }
    assert request["bodySite"][0]["coding"][0]["code"] == "80248007"  # SNOMED CT left breast structure
    assert request["reasonCode"][0]["text"] == "Bloody discharge"
    assert "occurrencePeriod" not in request  # waiting: nothing booked yet
    assert client.get(f"/fhir/R4/ServiceRequest/{order.pk}", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_a_placer_number_without_a_placer_is_told_without_a_system(client):
    order = OrderFactory(placer_system="", placer_order_number="123")
    placer = identifier(fhir(client, "GET", f"ServiceRequest/{order.pk}").body, "PLAC")
    assert placer == {"use": "official", "type": placer["type"], "value": "123"}


def test_the_order_status_is_told_as_active_completed_or_revoked(client):
    statuses = {
        Order.Status.WAITING: "active",
        Order.Status.SCHEDULED: "active",
        Order.Status.COMPLETED: "completed",
        Order.Status.CANCELLED: "revoked",
    }
    orders = {
        ours: OrderFactory(status=ours, cancel_reason="EHR cancelled" if ours == "cancelled" else "")
        for ours in statuses
    }
    for ours, fhir_status in statuses.items():
        assert fhir(client, "GET", f"ServiceRequest/{orders[ours].pk}").body["status"] == fhir_status
    assert ids(fhir(client, "GET", "ServiceRequest", status="revoked")) == [orders["cancelled"].pk]
    assert len(ids(fhir(client, "GET", "ServiceRequest", status="active,completed"))) == 3
    assert ids(fhir(client, "GET", "ServiceRequest", status="on-hold")) == []


def test_the_booked_appointment_is_the_occurrence_and_a_date_to_search_by(client):
    appointment = AppointmentFactory(start=EXAM_DAY)
    OrderFactory()
    request = fhir(client, "GET", f"ServiceRequest/{appointment.order_id}").body
    assert request["occurrencePeriod"] == {"start": "2026-11-18T09:00:00-05:00", "end": "2026-11-18T09:45:00-05:00"}
    assert ids(fhir(client, "GET", "ServiceRequest", occurrence="2026-11-18")) == [appointment.order_id]
    assert ids(fhir(client, "GET", "ServiceRequest", date="lt2026-11-18")) == []


def test_service_requests_are_found_by_accession_placer_number_and_patient(client, settings):
    order = OrderFactory(placer_system="DEMO EHR", placer_order_number="P-1")
    other = OrderFactory()
    accession = order.accession_number
    assert ids(fhir(client, "GET", "ServiceRequest", identifier=accession)) == [order.pk]
    assert ids(fhir(client, "GET", "ServiceRequest", identifier=f"{settings.FHIR_ACCESSION_SYSTEM}|{accession}")) == [
        order.pk
    ]
    assert ids(fhir(client, "GET", "ServiceRequest", identifier=f"urn:other|{accession}")) == []
    placer = identifier(fhir(client, "GET", f"ServiceRequest/{order.pk}").body, "PLAC")
    assert placer["system"] == "urn:galactogram:placer:DEMO%20EHR"
    assert ids(fhir(client, "GET", "ServiceRequest", identifier=f"{placer['system']}|P-1")) == [order.pk]
    assert ids(fhir(client, "GET", "ServiceRequest", patient=f"Patient/{other.patient_id}")) == [other.pk]


@pytest.mark.parametrize(
    "params",
    [{"status": "activ"}, {"authored": "yesterday"}, {"patient": "Practitioner/1"}, {"_count": "many"}],
)
def test_a_bad_search_value_is_an_operation_outcome_400(client, params):
    response = fhir(client, "GET", "ServiceRequest", **params)
    assert response.status_code == 400
    assert response.body["resourceType"] == "OperationOutcome"


# --- DiagnosticReport ---------------------------------------------------------------------


def test_a_preliminary_report_is_a_diagnostic_report_with_its_text_and_assessment(client):
    report = ReportFactory(appointment=performed(side=Order.Side.LEFT))
    order = report.appointment.order
    body = fhir(client, "GET", f"DiagnosticReport/{report.pk}").body
    assert body["status"] == "preliminary"
    assert body["category"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v2-0074",
        "code": "RAD",
        "display": "Radiology",
    }
    assert body["code"]["coding"][0]["system"] == "http://loinc.org"
    assert body["code"]["coding"][0]["code"] == "38096-4"  # breast duct - left, contrast intra duct
    assert body["basedOn"] == [{"reference": f"ServiceRequest/{order.pk}"}]
    assert body["subject"]["reference"] == f"Patient/{order.patient_id}"
    assert body["effectiveDateTime"] == "2026-11-18T09:45:00-05:00"
    assert body["conclusion"] == report.impression
    assert body["conclusionCode"][0]["coding"][0]["code"] == "4"
    assert body["conclusionCode"][0]["text"] == "BI-RADS 4: suspicious"
    assert body["performer"][0]["reference"] == f"Practitioner/{report.radiologist_id}"
    assert "resultsInterpreter" not in body
    assert "imagingStudy" not in body
    form = body["presentedForm"][0]
    assert form["contentType"] == "text/plain; charset=utf-8"
    text = base64.b64decode(form["data"]).decode()
    assert text.startswith("PRELIMINARY REPORT")
    assert report.findings in text
    assert "Biopsy" in text


def test_a_final_report_with_an_addendum_is_appended_and_carries_the_addendum(client):
    addendum = ReportAddendumFactory(text="Outside ultrasound: the finding corresponds.")
    report = addendum.report
    ProcedureOutcomeFactory(appointment=report.appointment, ducts="multiple", imaging_cpt="77054")
    body = fhir(client, "GET", f"DiagnosticReport/{report.pk}").body
    assert body["status"] == "appended"
    assert body["resultsInterpreter"][0]["reference"] == f"Practitioner/{report.signed_by_id}"
    assert body["code"]["coding"][0]["code"] == "39145-8"  # left breast, multiple ducts
    text = base64.b64decode(body["presentedForm"][0]["data"]).decode()
    assert "FINAL REPORT" in text
    assert "ADDENDUM 1\nOutside ultrasound: the finding corresponds." in text
    assert text.index(report.impression) < text.index("ADDENDUM 1")  # the original first, unchanged


def test_reports_are_searched_by_status_order_accession_patient_and_date(client):
    preliminary = ReportFactory(appointment=performed())
    final = ReportFactory(final=True, appointment=performed())
    appended = ReportAddendumFactory(report=ReportFactory(final=True, appointment=performed())).report
    ReportFactory(appointment=AppointmentFactory(status="completed", start=EXAM_DAY + timedelta(days=7)))
    assert ids(fhir(client, "GET", "DiagnosticReport", status="preliminary", date="2026-11-18")) == [preliminary.pk]
    assert ids(fhir(client, "GET", "DiagnosticReport", status="final")) == [final.pk]
    assert ids(fhir(client, "GET", "DiagnosticReport", status="appended")) == [appended.pk]
    assert ids(fhir(client, "GET", "DiagnosticReport", status="amended")) == [appended.pk]
    assert ids(fhir(client, "GET", "DiagnosticReport", status="corrected")) == []
    order = final.appointment.order
    assert ids(fhir(client, "GET", "DiagnosticReport", **{"based-on": f"ServiceRequest/{order.pk}"})) == [final.pk]
    assert ids(fhir(client, "GET", "DiagnosticReport", identifier=order.accession_number)) == [final.pk]
    assert ids(fhir(client, "GET", "DiagnosticReport", patient=str(order.patient_id))) == [final.pk]
    assert fhir(client, "GET", "DiagnosticReport", status="done").status_code == 400


def test_a_report_names_its_imaging_study_once_the_modality_reported_steps(client):
    report = ReportFactory(appointment=performed())
    PerformedProcedureStepFactory(appointment=report.appointment, status=STEP.COMPLETED)
    body = fhir(client, "GET", f"DiagnosticReport/{report.pk}").body
    assert body["imagingStudy"] == [{"reference": f"ImagingStudy/{report.appointment.order_id}"}]


def test_reading_a_report_is_in_the_read_audit(client, scheduler):
    from security.models import AccessLogEntry

    report = ReportFactory(appointment=performed())
    fhir(client, "GET", f"DiagnosticReport/{report.pk}")
    fhir(client, "GET", "ImagingStudy")  # no study yet: nobody shown, nothing recorded
    audited = list(AccessLogEntry.objects.filter(user=scheduler).values_list("patient_id", flat=True))
    assert audited == [report.appointment.patient_id]


# --- ImagingStudy -------------------------------------------------------------------------


def test_an_order_s_mpps_steps_are_its_imaging_study(client):
    appointment = performed()
    order = appointment.order
    PerformedProcedureStepFactory(
        appointment=appointment,
        status=STEP.COMPLETED,
        started_at=EXAM_DAY,
        procedure_codes=["77053"],
        series_instance_uids=["1.2.826.0.1.3680043.10.9.1", "1.2.826.0.1.3680043.10.9.2"],
        attributes={"00080060": {"vr": "CS", "Value": ["RF"]}},
    )
    OrderFactory()  # no steps: no study
    response = fhir(client, "GET", f"ImagingStudy/{order.pk}")
    study = response.body
    assert response["ETag"]
    assert study["identifier"][0] == {
        "use": "official",
        "system": "urn:dicom:uid",
        "value": f"urn:oid:{order.study_instance_uid}",
    }
    assert identifier(study, "ACSN")["value"] == order.accession_number
    assert study["status"] == "available"
    assert study["started"] == "2026-11-18T09:00:00-05:00"
    assert study["basedOn"] == [{"reference": f"ServiceRequest/{order.pk}"}]
    assert study["modality"] == [
        {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "RF", "display": "Radio Fluoroscopy"}
    ]
    assert study["numberOfSeries"] == 2
    assert [s["uid"] for s in study["series"]] == ["1.2.826.0.1.3680043.10.9.1", "1.2.826.0.1.3680043.10.9.2"]
    assert {s["modality"]["code"] for s in study["series"]} == {"RF"}
    assert study["procedureCode"][0]["coding"][0]["code"] == "77053"
    assert ids(fhir(client, "GET", "ImagingStudy")) == [order.pk]
    assert fhir(client, "GET", f"ImagingStudy/{OrderFactory().pk}").status_code == 404


def test_a_step_in_progress_is_a_registered_study_and_only_discontinued_steps_a_cancelled_one(client):
    in_progress = PerformedProcedureStepFactory()
    given_up = PerformedProcedureStepFactory(
        status=STEP.DISCONTINUED, appointment__status="incomplete", appointment__abort_reason="Discontinued"
    )
    studies = {e["resource"]["id"]: e["resource"] for e in fhir(client, "GET", "ImagingStudy").body["entry"]}
    assert studies[str(in_progress.appointment.order_id)]["status"] == "registered"
    assert studies[str(in_progress.appointment.order_id)]["modality"][0]["code"] == "MG"  # as scheduled
    assert studies[str(given_up.appointment.order_id)]["status"] == "cancelled"
    assert ids(fhir(client, "GET", "ImagingStudy", status="registered")) == [in_progress.appointment.order_id]
    assert ids(fhir(client, "GET", "ImagingStudy", status="cancelled")) == [given_up.appointment.order_id]
    assert ids(fhir(client, "GET", "ImagingStudy", status="available")) == []


def test_studies_are_found_by_study_uid_accession_order_patient_and_start(client):
    step = PerformedProcedureStepFactory(started_at=EXAM_DAY)
    PerformedProcedureStepFactory(started_at=EXAM_DAY + timedelta(days=1))
    order = step.appointment.order
    uid = order.study_instance_uid
    for value in (f"urn:dicom:uid|urn:oid:{uid}", uid, order.accession_number):
        assert ids(fhir(client, "GET", "ImagingStudy", identifier=value)) == [order.pk], value
    for name in ("basedon", "based-on"):
        assert ids(fhir(client, "GET", "ImagingStudy", **{name: f"ServiceRequest/{order.pk}"})) == [order.pk]
    assert ids(fhir(client, "GET", "ImagingStudy", patient=f"Patient/{order.patient_id}")) == [order.pk]
    assert ids(fhir(client, "GET", "ImagingStudy", started="2026-11-18")) == [order.pk]
    assert ids(fhir(client, "GET", "ImagingStudy", date="2026-11-18")) == [order.pk]
    assert fhir(client, "GET", "ImagingStudy", status="done").status_code == 400


# --- fixed query counts -------------------------------------------------------------------


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fhir(client, "GET", path, _count=100)
    assert response.status_code == 200
    return len(captured)


def test_each_search_runs_the_same_queries_for_two_rows_as_for_eight(client):
    def add_exams(n):
        for _ in range(n):
            addendum = ReportAddendumFactory(report=ReportFactory(final=True, appointment=performed()))
            PerformedProcedureStepFactory(appointment=addendum.report.appointment, status=STEP.COMPLETED)

    add_exams(2)
    # Each count is of a second call: the first after new staff (the factories make them) also
    # reloads her permissions, whose counter any change of anyone's role moves.
    _queries(client, "ServiceRequest")
    few = {path: _queries(client, path) for path in ("ServiceRequest", "DiagnosticReport", "ImagingStudy")}
    add_exams(6)
    _queries(client, "ServiceRequest")
    many = {path: _queries(client, path) for path in ("ServiceRequest", "DiagnosticReport", "ImagingStudy")}
    assert many == few
    assert fhir(client, "GET", "DiagnosticReport").body["total"] == 8
