"""Her result letter behind her signed link: shown once it has been sent to her, in her
language, with the PDF to download; nothing before, nothing for a patient who died."""

from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from radiology.services import letters
from radiology.services.patient_links import letter_path, patient_path
from tests.factories import PatientFactory, ResultLetterFactory

pytestmark = pytest.mark.django_db


def sent_letter(scheduler, **kwargs):
    letter = ResultLetterFactory(**kwargs)
    letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=timezone.now())
    return letter


def test_her_letter_page_shows_the_letter_and_its_pdf(client, scheduler):
    letter = sent_letter(scheduler, report__assessment="1", report__recommendation="routine")
    appointment_id = letter.report.appointment_id

    response = client.get(letter_path(appointment_id))

    text = response.content.decode()
    assert response.status_code == 200
    assert "We found nothing of concern." in text
    assert f"/p/{appointment_id}/" in text and "letter.pdf" in text
    assert "private" in response["Cache-Control"]
    pdf = client.get(letter_path(appointment_id).replace("/letter/", "/letter.pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    assert "We found nothing of concern." in PdfReader(BytesIO(pdf.content)).pages[0].extract_text()


def test_her_letter_page_is_in_spanish_for_a_spanish_speaker(client, scheduler):
    patient = PatientFactory(language="es")
    letter = sent_letter(scheduler, report__appointment__patient=patient)

    response = client.get(letter_path(letter.report.appointment_id))

    assert "Qué encontramos" in response.content.decode()
    assert response["Content-Language"] == "es"


def test_her_page_points_to_the_letter_once_it_is_sent(client, scheduler):
    letter = ResultLetterFactory()
    appointment_id = letter.report.appointment_id
    assert 'data-testid="letter-ready"' not in client.get(patient_path(appointment_id)).content.decode()

    letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=timezone.now())

    assert 'data-testid="letter-ready"' in client.get(patient_path(appointment_id)).content.decode()


def test_a_letter_not_yet_sent_is_not_shown(client):
    letter = ResultLetterFactory()

    response = client.get(letter_path(letter.report.appointment_id))

    assert response.status_code == 404
    assert "There is no letter for you here yet" in response.content.decode()
    assert client.get(letter_path(letter.report.appointment_id).replace("/letter/", "/letter.pdf")).status_code == 404


def test_a_tampered_link_shows_no_letter(client, scheduler):
    letter = sent_letter(scheduler)
    other = ResultLetterFactory()

    path = letter_path(letter.report.appointment_id).replace(
        f"/p/{letter.report.appointment_id}/", f"/p/{other.report.appointment_id}/"
    )

    assert client.get(path).status_code == 404
