"""The result letter's PDF, read back as text: in English and in Spanish, saying what was done,
what was found in plain words, what happens next and whom to call."""

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from pypdf import PdfReader

from radiology.encoders.letter_pdf import letter_pdf_of
from tests.factories import AppointmentFactory, PatientFactory, ResultLetterFactory

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("America/New_York")
EXAM = datetime(2026, 3, 2, 10, 0, tzinfo=ZONE)
NOW = datetime(2026, 3, 5, 11, 0, tzinfo=ZONE)


def pdf_text(letter) -> str:
    reader = PdfReader(BytesIO(letter_pdf_of(letter, now=NOW)))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def letter_for(language, **report):
    patient = PatientFactory(given_name="Ana", family_name="Ruiz", language=language)
    appointment = AppointmentFactory(status="completed", start=EXAM, patient=patient)
    return ResultLetterFactory(report__appointment=appointment, **{f"report__{k}": v for k, v in report.items()})


@override_settings(CLINIC_NAME="Breast Imaging Department", CLINIC_PHONE="+1 555 0100")
def test_the_english_letter_says_what_was_done_found_next_and_whom_to_call():
    text = pdf_text(letter_for("en", assessment="4", recommendation="biopsy"))

    assert text.startswith("%PDF") is False  # text, not bytes
    assert "Your test results" in text
    assert "Dear Ana Ruiz," in text
    assert "On Monday 2 March 2026 you had a galactogram" in text
    assert "Most changes like this are not cancer" in text
    assert "We recommend a biopsy" in text
    assert "please call the Breast Imaging Department at +1 555 0100" in text
    assert "BI-RADS" not in text


def test_the_spanish_letter_is_in_spanish_with_its_accents():
    text = pdf_text(letter_for("es", assessment="2", recommendation="routine"))

    assert "Los resultados de su prueba" in text
    assert "Estimada Ana Ruiz:" in text
    assert "El lunes 2 de marzo de 2026 se le hizo una galactografía" in text
    assert "Encontramos un cambio que no es cáncer (es benigno)." in text
    assert "Siga con sus revisiones de mama habituales." in text
    assert "Si tiene alguna pregunta sobre esta carta" in text
    assert "Your test results" not in text


def test_an_interval_given_by_the_radiologist_is_in_the_letter():
    text = pdf_text(letter_for("en", assessment="3", recommendation="repeat_ductogram", follow_up_interval_weeks=6))

    assert "We suggest this in about 6 weeks." in text
    assert "We will contact you to arrange this." in text


def test_the_pdf_names_its_language_and_title():
    letter = letter_for("es", assessment="1", recommendation="none")
    reader = PdfReader(BytesIO(letter_pdf_of(letter, now=NOW)))

    assert reader.metadata.title == "Los resultados de su prueba"
