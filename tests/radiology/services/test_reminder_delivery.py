"""Delivering an appointment's reminder: it moves the state forward only, never back or past
a later state, and a reminder no longer wanted is skipped at its turn."""

from datetime import UTC, datetime, timedelta

import pytest

from notifications import services as outbox
from notifications.models import Message
from radiology.models import Appointment
from radiology.services import reminders
from tests.factories import AppointmentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_dir")]
BOOKED_AT = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)
START = datetime(2026, 1, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def appointment():
    appointment = AppointmentFactory(start=START)
    reminders.on_booked(appointment=appointment, now=BOOKED_AT)
    return appointment


def deliver(appointment, kind, now):
    message = Message.objects.get(subject=f"appointment:{appointment.pk}", kind=kind, status="scheduled")
    ids, token = outbox.claim_due(now=now, limit=1000)
    assert message.pk in ids
    outcomes = {i: outbox.deliver_message(message_id=i, token=token, now=now) for i in ids}
    message.refresh_from_db()
    appointment.refresh_from_db()
    return outcomes[message.pk], message


def set_status(appointment, status):
    Appointment.objects.filter(pk=appointment.pk).update(status=status, cancel_reason="Test")


def test_delivering_the_prep_instructions_records_prep_sent(appointment):
    outcome, _ = deliver(appointment, "prep", BOOKED_AT)

    assert (outcome, appointment.status) == ("sent", "prep_sent")
    assert appointment.transitions.get().actor is None


def test_delivering_the_no_expression_reminder_records_reminded(appointment):
    deliver(appointment, "prep", BOOKED_AT)

    deliver(appointment, "no_expression", START - timedelta(hours=48))

    assert appointment.status == "reminded"


def test_a_late_no_expression_reminder_never_touches_a_checked_in_appointment(appointment):
    set_status(appointment, "checked_in")
    Message.objects.filter(kind="prep").update(status="sent", sent_at=BOOKED_AT)
    Message.objects.filter(kind="no_expression").update(expires_at=None)

    outcome, message = deliver(appointment, "no_expression", START - timedelta(minutes=30))

    assert appointment.status == "checked_in"
    assert message.status == "skipped"
    assert message.last_error == "The appointment is checked in."


def test_a_prep_delivery_after_the_appointment_moved_on_does_not_change_its_state(appointment):
    set_status(appointment, "reminded")

    outcome, message = deliver(appointment, "prep", BOOKED_AT)

    assert (message.status, appointment.status) == ("sent", "reminded")
    assert not appointment.transitions.exists()


def test_a_reminder_for_a_cancelled_appointment_is_skipped_at_its_turn(appointment):
    set_status(appointment, "cancelled")

    outcome, message = deliver(appointment, "prep", BOOKED_AT)

    assert outcome == "skipped"
    assert message.last_error == "The appointment is cancelled."


def test_a_reminder_planned_for_an_earlier_time_of_a_moved_appointment_is_skipped(appointment):
    Appointment.objects.filter(pk=appointment.pk).update(version=2)

    outcome, message = deliver(appointment, "prep", BOOKED_AT)

    assert message.last_error == "Planned for an earlier time of the appointment."


def test_the_sms_carries_a_freshly_signed_link_to_the_patients_page(appointment, tmp_path):
    import json

    deliver(appointment, "prep", BOOKED_AT)

    [sms] = [json.loads(p.read_text()) for p in (tmp_path / "sms").glob("*.json")]
    assert f"/p/{appointment.pk}/" in sms["text"]
    assert appointment.patient.family_name not in sms["text"]
