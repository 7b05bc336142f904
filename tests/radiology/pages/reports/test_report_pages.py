"""The radiologist's report pages: the list of exams to report (oldest first, with the
waiting time), the report page (save preliminary, sign as final with her password, add a
signed addendum) and the report as the appointment page and the patient page show it."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from radiology.models import Report
from tests.factories import (
    DEFAULT_PASSWORD,
    AppointmentFactory,
    ReportAddendumFactory,
    ReportFactory,
    StaffMemberFactory,
)

pytestmark = pytest.mark.django_db

FORM = {
    "findings": "Single duct opacified; a 4 mm filling defect.",
    "impression": "Intraductal filling defect, likely papilloma.",
    "assessment": "4",
    "recommendation": "biopsy",
    "follow_up_interval_weeks": "",
}


def _page(pk):
    return reverse("radiology:report", args=[pk])


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_list_shows_performed_exams_without_a_final_report_oldest_first_with_the_wait(client):
    now = timezone.now()
    old = AppointmentFactory(status="performed", performed_at=now - timedelta(days=2, hours=1))
    recent = AppointmentFactory(status="completed", performed_at=now - timedelta(hours=3, minutes=5))
    ReportFactory(appointment=recent)  # preliminary: still to report
    ReportFactory(appointment=AppointmentFactory(status="completed"), final=True)  # done
    AppointmentFactory(status="in_procedure")  # not performed yet
    client.force_login(StaffMemberFactory(radiologist=True).user)
    response = client.get(reverse("radiology:reports_to_write"))
    page = _text(response)
    rows = re.findall(r'href="/appointments/(\d+)/report/"', page)
    assert rows == [str(old.pk), str(recent.pk)]
    assert "waiting 2 days" in page and "waiting 3 h" in page
    assert "Not written" in page and "Preliminary (v1)" in page


def test_the_list_runs_the_same_number_of_queries_for_2_and_12_exams(client):
    client.force_login(StaffMemberFactory(radiologist=True).user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("radiology:reports_to_write")).status_code == 200
        return len(captured)

    for _ in range(2):
        ReportFactory(appointment=AppointmentFactory(status="performed"))
    few = queries()
    for _ in range(10):
        ReportFactory(appointment=AppointmentFactory(status="performed"))
        AppointmentFactory(status="completed")
    assert queries() == few


def test_my_list_says_how_many_exams_wait_for_a_report(client):
    AppointmentFactory(status="performed")
    client.force_login(StaffMemberFactory(radiologist=True).user)
    page = _text(client.get(reverse("radiology:radiologist_list")))
    assert "1 exam to report" in page


def test_she_saves_a_preliminary_report_then_signs_it_with_her_password(client):
    exam = AppointmentFactory(status="performed")
    radiologist = exam.radiologist.user
    client.force_login(radiologist)
    response = client.post(_page(exam.pk), {**FORM, "save": "preliminary"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.status, report.version) == ("preliminary", 1)
    page = _text(client.get(_page(exam.pk)))
    assert "Preliminary" in page and "Sign as final" in page

    response = client.post(_page(exam.pk), {**FORM, "version": "1", "sign": "final", "password": "wrong-one"})
    assert response.status_code == 200
    assert "That is not your password" in _text(response)
    report.refresh_from_db()
    assert report.status == "preliminary"

    response = client.post(_page(exam.pk), {**FORM, "version": "1", "sign": "final", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.signed_by.user, report.version) == ("final", radiologist, 2)
    page = _text(client.get(_page(exam.pk)))
    assert 'data-testid="report-form"' not in page and 'data-testid="addendum-form"' in page


def test_signing_without_a_password_says_so_on_the_form(client):
    exam = AppointmentFactory(status="performed")
    client.force_login(exam.radiologist.user)
    response = client.post(_page(exam.pk), {**FORM, "sign": "final"})
    assert response.status_code == 200
    assert "Enter your password to sign." in _text(response)
    assert not Report.objects.exists()


def test_an_addendum_is_signed_and_kept_beside_the_final_report(client):
    report = ReportFactory(final=True)
    client.force_login(report.radiologist.user)
    url = reverse("radiology:report_addendum", args=[report.appointment_id])
    response = client.post(url, {"text": "Compared with the outside MRI: it corresponds."})
    assert response.status_code == 200 and report.addenda.count() == 0  # no password, no addendum
    response = client.post(
        url, {"text": "Compared with the outside MRI: it corresponds.", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    page = _text(client.get(_page(report.appointment_id)))
    assert "Final with addendum" in page and "Compared with the outside MRI: it corresponds." in page


def test_the_page_of_an_exam_not_performed_says_so_and_offers_no_form(client):
    exam = AppointmentFactory(status="checked_in")
    client.force_login(exam.radiologist.user)
    page = _text(client.get(_page(exam.pk)))
    assert "The exam has not been performed yet" in page and 'data-testid="report-form"' not in page
    response = client.post(_page(exam.pk), {**FORM, "save": "preliminary"})
    assert "The exam has not been performed yet" in _text(response)
    assert not Report.objects.exists()


def test_the_versions_show_who_saved_each_and_when(client):
    exam = AppointmentFactory(status="performed")
    first, second = StaffMemberFactory(radiologist=True).user, exam.radiologist.user
    client.force_login(first)
    client.post(_page(exam.pk), {**FORM, "save": "preliminary"})
    client.force_login(second)
    client.post(_page(exam.pk), {**FORM, "impression": "Revised.", "version": "1", "save": "preliminary"})
    page = _text(client.get(_page(exam.pk)))
    table = page[page.index('data-testid="report-versions"') :]
    assert first.get_full_name() in table and second.get_full_name() in table
    assert re.search(r"<td>1</td><td>[^<]+</td><td>" + re.escape(first.get_full_name()), table)


@pytest.mark.parametrize("role", ["technologist", "nurse", "manager", "scheduler"])
def test_only_a_radiologist_opens_the_report_page(client, role):
    exam = AppointmentFactory(status="performed")
    client.force_login(StaffMemberFactory(role=role).user)
    assert client.get(_page(exam.pk)).status_code == 403
    assert client.post(_page(exam.pk), {**FORM, "save": "preliminary"}).status_code == 403
    assert not Report.objects.exists()


def test_the_appointment_page_shows_the_report_its_status_and_signer(client):
    report = ReportFactory(final=True, follow_up_interval_weeks=6)
    ReportAddendumFactory(report=report)
    client.force_login(StaffMemberFactory(scheduler=True).user)
    page = _text(client.get(reverse("radiology:appointment_detail", args=[report.appointment_id])))
    assert "Final with addendum" in page
    assert "BI-RADS 4: suspicious" in page and "Biopsy, in 6 weeks" in page
    assert f"{report.signed_by.name}, " in page
    assert "Add an addendum" not in page  # a scheduler does not write reports


def test_the_patient_page_shows_each_exam_s_report_status(client):
    report = ReportFactory()
    client.force_login(StaffMemberFactory(scheduler=True).user)
    page = _text(client.get(reverse("radiology:patient_detail", args=[report.appointment.patient_id])))
    section = page[page.index('data-testid="patient-report"') :]
    assert "Preliminary" in section and "BI-RADS 4: suspicious" in section and "not signed" in section
