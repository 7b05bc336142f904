"""GET /metrics: Prometheus text, figures from the database, protected by METRICS_TOKEN."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import Message
from scheduling.clinic_time import clinic_zone
from tests.factories import MessageFactory, PatientFactory, StaffMemberFactory, small_department
from tests.radiology.interfaces.api.conftest import client_for

pytestmark = pytest.mark.django_db


def scrape(client, **headers) -> dict[tuple, float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_outbox_messages_by_status_and_deliveries_by_channel_come_from_the_rows(client):
    now = timezone.now()
    MessageFactory.create_batch(2)
    MessageFactory(status=Message.Status.SENT, sent_at=now, channel="email")
    MessageFactory.create_batch(3, status=Message.Status.SENT, sent_at=now, channel="sms")
    MessageFactory(status=Message.Status.FAILED, channel="sms")

    samples = scrape(client)

    assert samples[("galactogram_outbox_messages", (("status", "scheduled"),))] == 2
    assert samples[("galactogram_outbox_messages", (("status", "sent"),))] == 4
    assert samples[("galactogram_outbox_messages", (("status", "unknown"),))] == 0
    assert samples[("galactogram_deliveries_total", (("channel", "sms"), ("result", "sent")))] == 3
    assert samples[("galactogram_deliveries_total", (("channel", "email"), ("result", "sent")))] == 1
    assert samples[("galactogram_deliveries_total", (("channel", "sms"), ("result", "failed")))] == 1


def test_age_of_the_oldest_due_message(client):
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, tzinfo=clinic_zone()), tick=False):
        assert scrape(client)[("galactogram_outbox_oldest_due_age_seconds", ())] == 0
        MessageFactory(due_at=timezone.now() - timedelta(seconds=90))
        MessageFactory(due_at=timezone.now() + timedelta(hours=1))  # not due yet
        assert scrape(client)[("galactogram_outbox_oldest_due_age_seconds", ())] == 90


def test_request_latency_is_a_histogram_by_view(client):
    client.get("/accounts/login/")
    samples = scrape(client)
    key = ("galactogram_request_duration_seconds_count", (("method", "GET"), ("view", "login")))
    assert samples[key] >= 1
    assert any(name == "galactogram_request_duration_seconds_bucket" for name, _ in samples)


def test_a_taken_slot_counts_as_a_booking_conflict(client):
    dept = small_department()
    scheduler = StaffMemberFactory(scheduler=True).user
    api = client_for(scheduler)
    now = datetime(2026, 3, 2, 8, 0, tzinfo=clinic_zone())
    start = datetime.combine(now.date() + timedelta(days=3), time(10), tzinfo=clinic_zone())
    before = scrape(client)[("galactogram_booking_conflicts_total", ())]
    with time_machine.travel(now, tick=False):
        for _ in range(2):
            response = api.post(
                "/api/v1/appointments",
                {
                    "patient": PatientFactory().pk,
                    "procedure": "galactogram",
                    "start": start.isoformat(),
                    "duration": 45,
                    "room": dept.rooms[0].pk,
                },
                format="json",
            )
    assert response.status_code == 409, response.json()
    assert scrape(client)[("galactogram_booking_conflicts_total", ())] == before + 1


def test_with_metrics_token_set_a_bearer_token_is_required(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Token s3cret-scrape-token"}).status_code == 401
    assert scrape(client, Authorization="Bearer s3cret-scrape-token")


def test_metrics_show_counts_and_no_patient_data(client):
    MessageFactory(recipient="+12025550199", context={"first_name": "Zelda"})
    body = client.get("/metrics").content.decode()
    assert "Zelda" not in body and "2025550199" not in body
