"""The result letter over the JSON API: `letter` on an appointment (status, due_at, sent_at and
the PDF's address, readable with a staff token) and the lists of letters due and overdue."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from radiology.services import letters
from tests.factories import AppointmentFactory, ResultLetterFactory
from tests.radiology.interfaces.api.conftest import client_for

pytestmark = pytest.mark.django_db


def test_an_appointment_without_a_final_report_has_no_letter(api):
    appointment = AppointmentFactory()

    assert api.get(f"/api/v1/appointments/{appointment.pk}").json()["letter"] is None


def test_an_appointment_shows_its_letter_due_then_sent(api, scheduler):
    letter = ResultLetterFactory()
    path = f"/api/v1/appointments/{letter.report.appointment_id}"

    due = api.get(path).json()["letter"]
    assert due["status"] == "due" and due["sent_at"] is None
    assert due["due_at"].startswith(timezone.localtime(letter.due_at).date().isoformat())
    assert due["pdf"] == f"http://testserver/api/v1/letters/{letter.pk}/pdf"

    letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=timezone.now())
    sent = api.get(path).json()["letter"]
    assert sent["status"] == "sent" and sent["sent_at"] and sent["channel"] == "link"


def test_the_pdf_is_readable_with_a_staff_token(tech_api, client):
    letter = ResultLetterFactory(report__assessment="1", report__recommendation="routine")
    address = tech_api.get(f"/api/v1/appointments/{letter.report.appointment_id}").json()["letter"]["pdf"]

    response = tech_api.get(address)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "We found nothing of concern." in PdfReader(BytesIO(response.content)).pages[0].extract_text()
    assert client.get(address).status_code in (401, 403)


def test_the_lists_of_letters_due_and_overdue(api):
    overdue = ResultLetterFactory(due_at=timezone.now() - timedelta(days=1))
    due = ResultLetterFactory(due_at=timezone.now() + timedelta(days=5))

    listed = {
        status: [row["id"] for row in api.get("/api/v1/letters", {"status": status}).json()["letters"]]
        for status in ("due", "overdue")
    }

    assert listed == {"due": [overdue.pk, due.pk], "overdue": [overdue.pk]}
    assert api.get("/api/v1/letters", {"status": "overdue"}).json()["letters"][0]["status"] == "overdue"


def test_an_unknown_list_is_refused_with_the_choices(api):
    response = api.get("/api/v1/letters", {"status": "lost"})

    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def test_a_user_without_a_role_reads_no_letters(user_of):
    from tests.factories import UserFactory

    assert client_for(UserFactory()).get("/api/v1/letters").status_code == 403
