"""A patient on her phone (390×844), from the link in the message she received: every action
ends where it should (no CSRF failure page), in her language, through the real services."""

from datetime import datetime

import pytest
from django.core.cache import cache

from notifications.models import Message
from radiology.models import Appointment, ReadinessResponse
from radiology.services import portal as services
from radiology.services.booking import book_appointment
from tests.browser.patient_support import (
    deliver_due_messages,
    department_and_booking,
    link_from_email,
    link_from_sms,
    new_phone_page,
    screenshot,
)
from tests.factories import PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def outboxes(settings, live_server, tmp_path):
    """Links in messages point at the test server; SMS and e-mail land in files."""
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.PATIENT_PAGE_RATE_LIMIT = "1000/m"
    settings.SMS_BACKEND = "notifications.channels.sms.FileSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    # These tests read the text the moment it is booked, at whatever hour CI runs; between
    # 21:00 and 08:00 New York time quiet hours would hold it until morning (they have their
    # own tests, on a frozen clock). An empty window turns them off.
    settings.SMS_QUIET_HOURS_START = settings.SMS_QUIET_HOURS_END = "00:00"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "email")},
        }
    }
    return tmp_path


def open_sms_link(browser, galactogram, monkeypatch, outboxes, **patient):
    _, scheduler, appointment = department_and_booking(galactogram, preferred_channel="sms", **patient)
    assert set(deliver_due_messages(monkeypatch).values()) == {"sent"}
    page = new_phone_page(browser)
    page.goto(link_from_sms(outboxes / "sms"))
    return page, appointment, scheduler


def status(page) -> str:
    return page.get_by_test_id("status").get_attribute("data-status")


def test_she_confirms_answers_and_then_asks_for_another_time(browser, galactogram, monkeypatch, outboxes):
    page, appointment, _ = open_sms_link(browser, galactogram, monkeypatch, outboxes, given_name="Amira")
    appointment.refresh_from_db()
    assert appointment.status == "prep_sent"  # the delivery moved it forward
    assert page.get_by_role("heading", name="Hello Amira").is_visible()
    assert page.get_by_test_id("advice").get_attribute("data-kind") == "starting"
    screenshot(page, "patient-home")

    page.get_by_role("button", name="I will come").click()
    assert page.get_by_role("status").first.inner_text() == "Thank you: we have noted that you are coming."
    assert status(page) == "confirmed"

    questions = page.get_by_role("group", name="Is the fluid (discharge) from your nipple still there?")
    questions.get_by_label("Yes", exact=True).check()
    page.get_by_role("group", name="have you squeezed").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="X-ray dye").get_by_label("I am not sure").check()
    page.get_by_role("button", name="Send my answers").click()
    assert "Thank you for your answers" in page.get_by_role("status").first.inner_text()
    # Her answers are shown back to her, to change if something changes.
    assert page.get_by_test_id("answered").is_visible()
    assert questions.get_by_label("Yes", exact=True).is_checked()
    answers = ReadinessResponse.objects.get(appointment=appointment)
    assert (answers.discharge_present, answers.expressed_last_48h, answers.contrast_allergy) == (True, False, None)
    screenshot(page, "patient-confirmed-and-answered")

    page.get_by_role("button", name="Ask us to call you").click()
    assert status(page) == "another_time"
    assert page.get_by_role("button", name="I will come").is_visible()
    appointment.refresh_from_db()
    assert appointment.reschedule_requested_at and appointment.patient_confirmed_at is None


def test_she_cancels(browser, galactogram, monkeypatch, outboxes):
    page, appointment, _ = open_sms_link(browser, galactogram, monkeypatch, outboxes)

    page.locator("summary", has_text="Cancel my appointment").click()  # opens the confirmation
    page.get_by_role("button", name="Yes, cancel my appointment").click()

    assert page.get_by_role("status").first.inner_text() == "Your appointment is cancelled."
    assert status(page) == "cancelled"
    assert page.get_by_role("button", name="I will come").count() == 0
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    log = appointment.transitions.last()
    assert log.actor is None and log.note == "Cancelled by the patient through her appointment link"
    assert appointment.cancel_reason_code == "patient_via_link"
    assert Message.objects.filter(subject=appointment.holder, kind="cancelled", status="scheduled").exists()
    screenshot(page, "patient-cancelled")


def test_a_spanish_patient_moves_her_appointment_from_her_email(browser, galactogram, monkeypatch, outboxes):
    _, _, appointment = department_and_booking(
        galactogram, preferred_channel="email", language="es", given_name="Lucía"
    )
    assert set(deliver_due_messages(monkeypatch).values()) == {"sent"}
    page = new_phone_page(browser, locale="es-ES")
    page.goto(link_from_email(outboxes / "email"))
    assert page.get_by_role("heading", name="Hola, Lucía").is_visible()
    screenshot(page, "patient-home-es")

    with page.expect_download() as download:
        page.get_by_role("link", name="Añadir a mi calendario").click()
    assert download.value.suggested_filename == "appointment.ics"
    assert "BEGIN:VEVENT" in open(download.value.path()).read()  # noqa: PTH123, SIM115

    page.get_by_role("link", name="Elegir otra hora").click()
    offered = page.locator("input[name=start]")
    assert offered.count() >= 6
    screenshot(page, "patient-new-time-es")
    choice = offered.nth(1)
    chosen = choice.get_attribute("value")
    page.locator(f"label[for='{choice.get_attribute('id')}']").click()
    page.get_by_role("button", name="Cambiar mi cita a esta hora").click()

    assert "Su cita ha cambiado" in page.get_by_role("status").first.inner_text()
    assert status(page) == "confirmed"
    moved = Appointment.objects.get(pk=appointment.pk)
    assert (moved.start, moved.version) == (datetime.fromisoformat(chosen), 2)
    assert "Patient via link" in moved.transitions.last().note
    planned = Message.objects.filter(subject=moved.holder, subject_version=2, status="scheduled")
    assert "moved" in set(planned.values_list("kind", flat=True))
    screenshot(page, "patient-moved-es")


def test_a_time_taken_while_she_chose_brings_fresh_choices(browser, galactogram, monkeypatch, outboxes):
    page, appointment, scheduler = open_sms_link(browser, galactogram, monkeypatch, outboxes)
    page.get_by_role("link", name="Choose another time").click()
    first = page.locator("input[name=start]").first
    wanted = first.get_attribute("value")
    # A scheduler books that time for someone else while she is reading.
    taken = services.reschedule_choices(appointment=appointment, now=appointment.created_at)[0]
    assert taken == datetime.fromisoformat(wanted)
    book_appointment(patient=PatientFactory(), procedure=galactogram, start=taken, duration_minutes=45, actor=scheduler)

    first.check()
    page.get_by_role("button", name="Move my appointment to this time").click()

    assert page.get_by_role("alert").inner_text() == "That time was just taken. Here are the next free times."
    fresh = page.locator("input[name=start]")
    assert taken not in [datetime.fromisoformat(fresh.nth(i).get_attribute("value")) for i in range(fresh.count())]
    screenshot(page, "patient-time-taken")
    fresh.first.check()
    page.get_by_role("button", name="Move my appointment to this time").click()
    assert status(page) == "confirmed"
    assert Appointment.objects.get(pk=appointment.pk).version == 2
