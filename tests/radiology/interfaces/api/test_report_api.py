"""The report over the JSON API: a radiologist's token writes the preliminary, signs it as
final (the token is the signature) and adds addenda; GET /appointments/{id} carries the report
with its versions and addenda. Bad input and refusals are the API's JSON errors, nothing changed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from radiology.models import Report, ReportAddendum
from radiology.services import reports
from tests.factories import DEFAULT_PASSWORD, AppointmentFactory, StaffMemberFactory
from tests.radiology.interfaces.api.conftest import client_for

pytestmark = pytest.mark.django_db

BODY = {
    "findings": "Single duct opacified; a 4 mm filling defect.",
    "impression": "Intraductal filling defect, likely papilloma.",
    "assessment": "4",
    "recommendation": "biopsy",
}


def _url(exam, tail="report"):
    return f"/api/v1/appointments/{exam.pk}/{tail}"


@pytest.fixture
def exam():
    return AppointmentFactory(status="performed")


@pytest.fixture
def radiologist_api(exam):
    return client_for(exam.radiologist.user)


def test_preliminary_final_and_addendum_over_the_api(exam, radiologist_api):
    response = radiologist_api.post(_url(exam), BODY, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["report"]["status"] == "preliminary"
    response = radiologist_api.post(_url(exam), {**BODY, "final": True, "follow_up_interval_weeks": 6}, format="json")
    assert response.status_code == 200, response.json()
    response = radiologist_api.post(_url(exam, "report/addendum"), {"text": "Compared with the MRI."}, format="json")
    assert response.status_code == 200, response.json()
    report = radiologist_api.get(f"/api/v1/appointments/{exam.pk}").json()["report"]
    assert (report["status"], report["status_display"], report["version"]) == ("final", "Final with addendum", 2)
    assert (report["assessment"], report["recommendation"], report["follow_up_interval_weeks"]) == ("4", "biopsy", 6)
    assert report["signed_by"]["id"] == exam.radiologist.pk and report["signed_at"]
    assert [(v["version"], v["status"], v["saved_by"]) for v in report["versions"]] == [
        (1, "preliminary", exam.radiologist.name),
        (2, "final", exam.radiologist.name),
    ]
    assert [(a["number"], a["text"]) for a in report["addenda"]] == [(1, "Compared with the MRI.")]


def test_an_appointment_without_a_report_says_null(api):
    assert api.get(f"/api/v1/appointments/{AppointmentFactory().pk}").json()["report"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"assessment": "7"}, "assessment"),
        ({"assessment": 4}, None),  # a number is read as its text
        ({"recommendation": "chemotherapy"}, "recommendation"),
        ({"impression": "  "}, "impression"),
        ({"findings": None}, "findings"),
        ({"follow_up_interval_weeks": 0}, "follow_up_interval_weeks"),
        ({"final": "maybe"}, "final"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(exam, radiologist_api, change, field):
    response = radiologist_api.post(_url(exam), {**BODY, **change}, format="json")
    if field is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert field in response.json()["fields"] and response.json()["error"]
    assert not Report.objects.exists()


def test_a_report_on_an_exam_not_performed_is_refused(radiologist_api):
    booked = AppointmentFactory(status="in_procedure")
    response = client_for(booked.radiologist.user).post(_url(booked), BODY, format="json")
    assert response.status_code == 409
    assert response.json() == {"error": reports.NOT_PERFORMED}
    assert not Report.objects.exists()


def test_a_second_final_is_refused_and_the_report_is_unchanged(exam, radiologist_api):
    radiologist_api.post(_url(exam), {**BODY, "final": True}, format="json")
    response = radiologist_api.post(_url(exam), {**BODY, "impression": "Other.", "final": True}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "This report is final: add an addendum."
    assert Report.objects.get().impression == BODY["impression"]


def test_an_addendum_without_text_or_to_a_preliminary_is_refused(exam, radiologist_api):
    url = _url(exam, "report/addendum")
    assert radiologist_api.post(url, {"text": "Later."}, format="json").status_code == 409  # no report yet
    radiologist_api.post(_url(exam), BODY, format="json")
    response = radiologist_api.post(url, {"text": "Later."}, format="json")
    assert response.status_code == 409 and "still preliminary" in response.json()["error"]
    radiologist_api.post(_url(exam), {**BODY, "final": True}, format="json")
    response = radiologist_api.post(url, {"text": ""}, format="json")
    assert response.status_code == 400 and "text" in response.json()["fields"]
    assert not ReportAddendum.objects.exists()


@pytest.mark.parametrize("role", ["technologist", "nurse", "manager", "scheduler"])
def test_only_a_radiologist_writes_or_signs(exam, role):
    client = client_for(StaffMemberFactory(role=role).user)
    response = client.post(_url(exam), {**BODY, "final": True}, format="json")
    assert response.status_code == 403 and response.json()["error"]
    assert client.post(_url(exam, "report/addendum"), {"text": "x"}, format="json").status_code == 403
    assert not Report.objects.exists()


def test_with_a_browser_session_signing_needs_her_password(exam):
    client = APIClient()
    client.force_login(exam.radiologist.user)
    response = client.post(_url(exam), {**BODY, "final": True}, format="json")
    assert response.status_code == 400 and "password" in response.json()["fields"]
    assert not Report.objects.exists()
    response = client.post(_url(exam), {**BODY, "final": True, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200 and response.json()["report"]["status"] == "final"


def test_the_appointment_runs_the_same_queries_whatever_the_report_s_history(api, exam):
    def queries(appointment):
        with CaptureQueriesContext(connection) as captured:
            assert api.get(f"/api/v1/appointments/{appointment.pk}").status_code == 200
        return len(captured)

    # Both signed through the service, so both have their letter and tracked follow-up.
    radiologist = exam.radiologist.user
    small = AppointmentFactory(status="performed", radiologist=exam.radiologist)
    reports.save_report(appointment_id=small.pk, actor=radiologist, final=True, signature=reports.TOKEN, **BODY)
    # Each count is of a second call: the first after new staff also reloads her permissions.
    queries(small)
    few = queries(small)
    for n in range(3):
        reports.save_report(appointment_id=exam.pk, actor=radiologist, **{**BODY, "impression": f"Take {n}."})
    reports.save_report(appointment_id=exam.pk, actor=radiologist, final=True, signature=reports.TOKEN, **BODY)
    for n in range(3):
        reports.add_addendum(appointment_id=exam.pk, actor=radiologist, text=f"Addendum {n}.", signature=reports.TOKEN)
    queries(exam)
    assert queries(exam) == few


def test_the_schema_documents_the_report_and_the_addendum(api):
    schema = api.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/appointments/{id}/report"]
    assert "post" in paths["/api/v1/appointments/{id}/report/addendum"]
    components = schema["components"]["schemas"]
    assert set(components["ReportInput"]["required"]) == {"findings", "impression", "assessment", "recommendation"}
    assert components["AddendumInput"]["required"] == ["text"]
    assert "report" in components["AppointmentDetail"]["properties"]
    assert {"versions", "addenda", "status"} <= set(components["Report"]["properties"])
