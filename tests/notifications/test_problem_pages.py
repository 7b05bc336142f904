"""The staff's delivery-problems page."""

import pytest

from notifications.models import Message
from tests.factories import AppointmentFactory, MessageFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def login(client, **role):
    client.force_login(StaffMemberFactory(**role).user)
    return client


def test_the_page_lists_failed_skipped_and_unknown_messages_but_not_sent_ones(client):
    login(client, scheduler=True)
    MessageFactory(status="failed", last_error="SMS gateway refused the message (HTTP 400)")
    MessageFactory(status="skipped", last_error="Planned too late")
    MessageFactory(status="unknown")
    MessageFactory(status="sent", sent_at="2026-01-01T10:00Z", last_error="never shown")

    response = client.get("/messages/problems/")

    assert response.status_code == 200
    assert "HTTP 400" in response.text and "Planned too late" in response.text
    assert "never shown" not in response.text


def test_an_appointments_message_links_to_the_appointment(client):
    login(client, scheduler=True)
    appointment = AppointmentFactory()
    MessageFactory(status="failed", subject=f"appointment:{appointment.pk}")

    response = client.get("/messages/problems/")

    assert f'href="/appointments/{appointment.pk}/"' in response.text


def test_the_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    login(client, scheduler=True)
    MessageFactory.create_batch(30, status="failed")

    with django_assert_max_num_queries(8):
        client.get("/messages/problems/")


def test_a_technologist_may_not_see_the_page(client):
    login(client)

    assert client.get("/messages/problems/").status_code == 403


def test_a_manager_sends_a_failed_message_again(client):
    login(client, manager=True)
    message = MessageFactory(status="failed", attempts=5)

    client.post(f"/messages/{message.pk}/send-again/")

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.SCHEDULED, 0)


def test_a_scheduler_may_look_but_not_send_again(client):
    login(client, scheduler=True)
    message = MessageFactory(status="failed")

    assert client.post(f"/messages/{message.pk}/send-again/").status_code == 403


def test_the_page_shows_what_is_waiting_to_go_out_per_channel(client):
    from datetime import timedelta

    from django.utils import timezone

    login(client, scheduler=True)
    MessageFactory.create_batch(2, channel="hl7", due_at=timezone.now() - timedelta(minutes=5))

    page = client.get("/messages/problems/").text

    assert "HL7 v2 (MLLP)</td><td>2</td><td>0</td><td>5 min</td>" in page


def test_the_page_says_when_nothing_is_waiting(client):
    login(client, scheduler=True)

    assert "Nothing waiting: every due message has gone out." in client.get("/messages/problems/").text
