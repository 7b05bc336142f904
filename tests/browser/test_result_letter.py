"""Her result letter in Chromium: from the text she receives to her letter on a phone
(390×844), in English and Spanish, with the PDF downloaded and read back; and the staff's
letters list and print queue. axe-core finds no serious or critical problem on any of them."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from pypdf import PdfReader

from radiology.services import letters
from tests.browser.patient_support import deliver_due_messages, new_phone_page, serious_accessibility_violations
from tests.browser.staff_support import horizontal_overflow
from tests.factories import AppointmentFactory, PatientFactory, ReportFactory, StaffMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LETTER_LINK = re.compile(r"https?://\S+/p/\d+/[^/\s]+/letter/")


@pytest.fixture(autouse=True)
def sms_outbox(settings, live_server, tmp_path):
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.PATIENT_PAGE_RATE_LIMIT = "1000/m"
    settings.SMS_BACKEND = "notifications.channels.sms.FileSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_QUIET_HOURS_START = settings.SMS_QUIET_HOURS_END = "00:00"  # read at once, at any hour
    return tmp_path / "sms"


def a_letter_sent_by_link(language, **report):
    patient = PatientFactory(given_name="Ana", family_name="Ruiz", language=language, preferred_channel="sms")
    appointment = AppointmentFactory(
        status="completed", start=timezone.now() - timezone.timedelta(days=2), patient=patient
    )
    report = ReportFactory(final=True, appointment=appointment, **report)
    letter = letters.on_report_final(report=report, now=timezone.now())
    scheduler = StaffMemberFactory(scheduler=True).user
    letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=timezone.now())
    return letter


@pytest.mark.parametrize(
    ("language", "found", "download"),
    [
        ("en", "We found nothing of concern.", "Download the letter (PDF)"),
        ("es", "No encontramos nada preocupante.", "Descargar la carta (PDF)"),
    ],
)
def test_she_reads_her_letter_on_her_phone_from_the_text_and_downloads_it(
    browser, monkeypatch, sms_outbox, language, found, download
):
    a_letter_sent_by_link(language, assessment="1", recommendation="routine")
    assert set(deliver_due_messages(monkeypatch).values()) == {"sent"}
    (text,) = [Path(path).read_text() for path in sms_outbox.glob("*.json")]
    link = LETTER_LINK.search(text).group(0)

    page = new_phone_page(browser, locale="es-ES" if language == "es" else "en-US")
    page.goto(link)

    assert found in page.get_by_test_id("letter").inner_text()
    assert horizontal_overflow(page) == 0
    assert serious_accessibility_violations(page) == []
    with page.expect_download() as downloading:
        page.get_by_role("link", name=download).click()
    pdf = Path(downloading.value.path()).read_bytes()
    assert found in " ".join(PdfReader(BytesIO(pdf)).pages[0].extract_text().split())


def test_the_staff_lists_and_print_queue_pass_the_accessibility_check(browser, live_server, login):
    letter = a_letter_sent_by_link("en")
    scheduler = StaffMemberFactory(scheduler=True).user
    letters.send_letter(letter_id=letter.pk, channel="post", actor=scheduler, now=timezone.now())
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, scheduler.username)

    for path in ("/letters/", "/letters/?show=overdue", "/letters/?show=sent", "/letters/print/"):
        page.goto(live_server.url + path)
        assert serious_accessibility_violations(page) == [], path
    page.get_by_role("button", name="Mark the letter for Ana Ruiz posted").click()
    page.wait_for_load_state()
    assert "marked posted" in page.content()
