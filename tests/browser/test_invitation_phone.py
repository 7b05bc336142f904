"""An invitation to book, on her phone (390×844): a scheduler invites her from the order, the
text is delivered through the outbox's real path, she opens its link in Chromium, picks the
first free time and lands on her appointment's page, booked on that order; axe-core finds no
serious or critical problem on the invitation page, in English and Spanish."""

import json
import re
from datetime import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from radiology.models import Appointment, OrderInvitation
from radiology.services.order_invitations import invite_to_book
from tests.browser.patient_support import (
    deliver_due_messages,
    new_phone_page,
    screenshot,
    serious_accessibility_violations,
)
from tests.factories import OrderFactory, PatientFactory, StaffMemberFactory, small_department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
INVITE_LINK = re.compile(r"https?://\S+/p/invite/\d+/[^/\s]+/")


@pytest.fixture(autouse=True)
def outboxes(settings, live_server, tmp_path):
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.PATIENT_PAGE_RATE_LIMIT = "1000/m"
    settings.SMS_BACKEND = "notifications.channels.sms.FileSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_QUIET_HOURS_START = settings.SMS_QUIET_HOURS_END = "00:00"  # whatever hour CI runs
    return tmp_path


@pytest.mark.parametrize("language", ["en", "es"])
def test_she_books_her_order_from_the_invitation_on_her_phone(browser, galactogram, monkeypatch, outboxes, language):
    small_department()
    scheduler = StaffMemberFactory(scheduler=True).user
    order = OrderFactory(patient=PatientFactory(email="", language=language, given_name="Rosa"), procedure=galactogram)
    invite_to_book(order_id=order.pk, actor=scheduler, now=timezone.now())
    assert set(deliver_due_messages(monkeypatch).values()) == {"sent"}
    (path,) = (outboxes / "sms").glob("*.json")
    link = INVITE_LINK.search(json.loads(path.read_text())["text"]).group(0)

    page = new_phone_page(browser, locale="es-ES" if language == "es" else "en-US")
    page.goto(link)
    assert serious_accessibility_violations(page) == []
    heading = "Elija una hora" if language == "es" else "Choose a time"
    assert page.get_by_role("heading", name=heading).is_visible()
    if language == "en":
        screenshot(page, "patient-invitation")
    first = page.locator('input[name="start"]').first
    chosen = first.get_attribute("value")
    page.locator(f'label[for="{first.get_attribute("id")}"]').click()
    page.get_by_role("button", name="Reservar esta hora" if language == "es" else "Book this time").click()

    page.wait_for_url(re.compile(r"/p/\d+/[^/]+/$"))
    appointment = Appointment.objects.get(order=order)
    assert appointment.start == datetime.fromisoformat(chosen)
    assert f"/p/{appointment.pk}/" in page.url
    assert page.get_by_test_id("status").get_attribute("data-status") == "awaiting"
    assert serious_accessibility_violations(page) == []
    assert OrderInvitation.objects.get(order=order).status == "booked"
