"""Earlier-slot offers on her phone (390×844, Chromium; issue 21 B): Ana asks on her page to be
told of an earlier time; a scheduler cancels an earlier appointment; Carmen (waiting longer)
is offered it first and does not answer; 20 minutes later her link says her time ran out and
Ana's text arrives; Ana takes the time on the offer page and her own appointment is moved.
axe-core finds no serious or critical problem on the pages she sees."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from procedures.models import Procedure
from radiology.models import Appointment, WaitingListEntry
from radiology.services import offers, waiting_list
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment
from radiology.services.patient_links import patient_link
from radiology.services.slots import find_galactogram_slots
from scheduling.clinic_time import clinic_zone
from tests.browser.patient_support import deliver_due_messages, new_phone_page, serious_accessibility_violations
from tests.browser.staff_support import horizontal_overflow
from tests.factories import OrderFactory, PatientFactory, StaffMemberFactory, small_department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OFFER_LINK = re.compile(r"https?://\S+/p/offer/\d+/[^/\s]+/")


@pytest.fixture(autouse=True)
def sms_outbox(settings, live_server, tmp_path):
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.PATIENT_PAGE_RATE_LIMIT = "1000/m"
    settings.SMS_BACKEND = "notifications.channels.sms.FileSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_QUIET_HOURS_START = settings.SMS_QUIET_HOURS_END = "00:00"  # offered at once, at any hour
    return tmp_path / "sms"


def offer_link_to(sms_dir, phone) -> str | None:
    for path in sms_dir.glob("*.json"):
        sent = json.loads(path.read_text())
        if sent["to"] == str(phone) and sent["idempotency_key"].startswith("offer:"):
            return OFFER_LINK.search(sent["text"]).group(0)
    return None


def test_she_asks_is_offered_after_the_first_lets_it_lapse_and_takes_it(browser, monkeypatch, sms_outbox):
    small_department()
    scheduler = StaffMemberFactory(scheduler=True).user
    galactogram = Procedure.objects.get(slug="galactogram")
    today = timezone.now().astimezone(clinic_zone()).date()

    def first_free(days):
        (slot,) = find_galactogram_slots(
            procedure=galactogram,
            duration_minutes=45,
            start_date=today + timedelta(days=days),
            end_date=today + timedelta(days=days + 10),
            limit=1,
        )
        return slot

    soon, ana_slot, carmen_slot = first_free(4), first_free(20), first_free(30)
    freed = book_appointment(
        patient=PatientFactory(), procedure=galactogram, start=soon.start, duration_minutes=45, actor=scheduler
    )
    booked = {}
    for name, slot, waited in (("Carmen", carmen_slot, 60), ("Ana", ana_slot, 30)):
        patient = PatientFactory(given_name=name, preferred_channel="sms")
        order = OrderFactory(
            patient=patient, procedure=galactogram, received_at=timezone.now() - timedelta(days=waited)
        )
        booked[name] = book_appointment(
            patient=patient, procedure=galactogram, start=slot.start, duration_minutes=45, actor=scheduler, order=order
        )
    waiting_list.join_waiting_list(patient=booked["Carmen"].patient, source="scheduler", actor=scheduler)
    deliver_due_messages(monkeypatch)  # the bookings' own texts

    # Ana asks on her page.
    ana = booked["Ana"]
    page = new_phone_page(browser)
    page.goto(patient_link(ana.pk))
    page.get_by_role("button", name="Tell me if an earlier time frees up").click()
    assert "We will text you if an earlier time frees up." in page.inner_text("main")
    assert page.get_by_test_id("on-waiting-list").is_visible()
    assert WaitingListEntry.objects.get(order=ana.order).source == "patient"

    # The earlier appointment is cancelled: Carmen, waiting longest, is offered it first.
    cancel_appointment(appointment_id=freed.pk, actor=scheduler, reason_code="patient_request")
    offers.advance_due_rounds()
    deliver_due_messages(monkeypatch)
    carmen_link = offer_link_to(sms_outbox, booked["Carmen"].patient.phone)
    assert carmen_link and offer_link_to(sms_outbox, ana.patient.phone) is None

    with time_machine.travel(timezone.now() + timedelta(minutes=21), tick=True):
        offers.advance_due_rounds()  # Carmen's hold lapsed: the time goes to Ana
        deliver_due_messages(monkeypatch)
        carmen = new_phone_page(browser)
        carmen.goto(carmen_link)
        assert carmen.get_by_test_id("offer-expired").is_visible()
        assert serious_accessibility_violations(carmen) == []

        ana_link = offer_link_to(sms_outbox, ana.patient.phone)
        page.goto(ana_link)
        assert page.get_by_test_id("offer-open").is_visible()
        assert horizontal_overflow(page) == 0
        assert serious_accessibility_violations(page) == []
        page.get_by_role("button", name="Yes, I take this time").click()
        assert page.get_by_test_id("offer-accepted").is_visible()
        assert serious_accessibility_violations(page) == []

        page.get_by_role("link", name="See my appointment and how to prepare").click()
        moved = Appointment.objects.get(pk=ana.pk)
        assert moved.start == soon.start  # her own appointment, moved
        assert f"/p/{ana.pk}/" in page.url
        carmen.reload()
        assert carmen.get_by_test_id("offer-gone").is_visible()
    assert Appointment.objects.filter(patient=ana.patient).count() == 1
