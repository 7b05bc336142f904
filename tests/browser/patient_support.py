"""Shared steps of the patient-phone browser tests: a phone-sized page, a booking made by the
real service, its preparation message delivered through the outbox's real path into the
file backends, and the link read back out of the file the patient would have received."""

import email
import json
import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from notifications import services as outbox
from notifications import tasks
from radiology.services.booking import book_appointment
from radiology.services.slots import find_galactogram_slots
from scheduling.clinic_time import clinic_zone
from tests import node_tools
from tests.browser.screenshots import docs_folder
from tests.factories import PatientFactory, StaffMemberFactory, small_department

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LINK = re.compile(r"https?://\S+/p/\d+/[^/\s]+/")
SERIOUS = {"serious", "critical"}


def new_phone_page(browser, locale="en-US"):
    context = browser.new_context(locale=locale, **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def screenshot(page, name: str) -> None:
    """Phone screenshots of the patient pages, for docs/ and the README (`make screenshots`)."""
    page.screenshot(path=str(docs_folder() / f"{name}.png"), full_page=True)


def department_and_booking(galactogram, *, days_ahead=6, **patient):
    """A one-room department and an appointment booked by a scheduler through the service."""
    department = small_department(rooms=1, radiologists=1, technologists=1)
    scheduler = StaffMemberFactory(scheduler=True).user
    today = timezone.now().astimezone(clinic_zone()).date()
    (slot,) = find_galactogram_slots(
        procedure=galactogram,
        duration_minutes=45,
        start_date=today + timedelta(days=days_ahead),
        end_date=today + timedelta(days=days_ahead + 14),
        limit=1,
    )
    appointment = book_appointment(
        patient=PatientFactory(**patient),
        procedure=galactogram,
        start=slot.start,
        duration_minutes=45,
        actor=scheduler,
    )
    return department, scheduler, appointment


def deliver_due_messages(monkeypatch) -> dict:
    """One dispatcher tick and the send task it hands the rows to, run here instead of on a
    worker: claim (SKIP LOCKED), render, the channel backend, on_delivered."""
    claimed = []
    monkeypatch.setattr(outbox, "enqueue_sends", lambda *, message_ids, token: claimed.append((message_ids, token)))
    outbox.dispatch_due()
    outcomes = {}
    for message_ids, token in claimed:
        outcomes.update(tasks.send_messages(message_ids, str(token)))
    return outcomes


def link_from_sms(sms_dir: Path) -> str:
    (path,) = sms_dir.glob("*.json")
    return LINK.search(json.loads(path.read_text())["text"]).group(0)


def link_from_email(email_dir: Path) -> str:
    (path,) = email_dir.glob("*.log")
    message = email.message_from_bytes(path.read_bytes())
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    return LINK.search(text.get_payload(decode=True).decode()).group(0)


def serious_accessibility_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    return [v for v in accessibility_violations(page) if v["impact"] in SERIOUS]


def accessibility_violations(page) -> list[dict]:
    """Every axe-core violation on the page as it is now, with up to five of its elements."""
    # Evaluated through the debugging protocol: a <script> tag added to the page would be refused
    # by the page's Content-Security-Policy (no inline script), as it should be.
    page.evaluate(node_tools.require(node_tools.AXE).read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)
        }))"""
    )
