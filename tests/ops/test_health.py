"""GET /healthz: each check by name; 200 only when all pass, else 503 naming the failures."""

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import Heartbeat
from monitoring.tasks import heartbeat, record_heartbeat
from notifications.models import Message
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticking():
    record_heartbeat(name="beat")


def test_all_checks_pass_gives_200_with_each_check(client, ticking):
    response = client.get("/healthz")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == {"database", "broker", "beat", "outbox", "hl7", "worklist"}
    assert all(check["ok"] for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_needs_no_login_and_no_https_redirect(client, ticking, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200


def test_beat_that_has_never_ticked_is_a_503_naming_beat(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["beat"]


def test_beat_silent_for_more_than_two_minutes_fails(client):
    record_heartbeat(name="beat", now=timezone.now() - timedelta(seconds=121))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["beat"]
    assert "121 s ago" in response.json()["checks"]["beat"]["detail"]


def test_the_heartbeat_task_writes_the_beat_row_once_however_often_it_runs(client):
    heartbeat()
    heartbeat()
    assert Heartbeat.objects.filter(name="beat").count() == 1
    assert client.get("/healthz").status_code == 200


def test_a_due_message_overdue_by_more_than_five_minutes_fails_the_outbox_check(client, ticking):
    MessageFactory(due_at=timezone.now() - timedelta(minutes=6))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["outbox"]


def test_a_message_due_four_minutes_ago_or_already_sent_is_fine(client, ticking):
    MessageFactory(due_at=timezone.now() - timedelta(minutes=4))
    MessageFactory(due_at=timezone.now() - timedelta(hours=1), status=Message.Status.SENT, sent_at=timezone.now())
    assert client.get("/healthz").status_code == 200


def test_an_unreachable_redis_broker_is_a_503_naming_broker(client, ticking, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert "127.0.0.1" not in response.content.decode()


def test_a_missing_filesystem_broker_folder_fails(client, ticking, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "absent")}
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["failed"] == ["broker"]


def test_the_outbox_check_shows_the_backlog_per_channel_with_the_oldest_wait(client, ticking):
    now = timezone.now()
    MessageFactory(channel="hl7", due_at=now - timedelta(seconds=90))
    MessageFactory(channel="hl7", due_at=now - timedelta(seconds=10))
    MessageFactory(
        channel="sms",
        due_at=now - timedelta(seconds=5),
        status=Message.Status.SENDING,
        lease_until=now,
        claim_token=uuid.uuid4(),
    )
    MessageFactory(channel="sms", due_at=now + timedelta(hours=1))  # not due: not a backlog
    MessageFactory(channel="email", due_at=now - timedelta(hours=1), status=Message.Status.SENT, sent_at=now)

    body = client.get("/healthz").json()

    backlog = body["checks"]["outbox"]["backlog"]
    assert set(backlog) == {"hl7", "sms"}
    assert backlog["hl7"]["waiting"] == 2 and backlog["hl7"]["retrying"] == 0
    assert 90 <= backlog["hl7"]["oldest_seconds"] < 100
    assert backlog["sms"]["waiting"] == 1
    assert body["status"] == "ok"  # a backlog under five minutes is information, not a failure


def test_a_retry_due_later_is_in_the_backlog_from_when_it_was_planned(client, ticking):
    message = MessageFactory(channel="hl7", attempts=2, due_at=timezone.now() + timedelta(minutes=2))
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=3))

    backlog = client.get("/healthz").json()["checks"]["outbox"]["backlog"]

    assert backlog["hl7"]["waiting"] == 1 and backlog["hl7"]["retrying"] == 1
    assert 180 <= backlog["hl7"]["oldest_seconds"] < 190


@pytest.mark.parametrize("listener", ["hl7", "worklist"])
def test_a_listener_killed_outright_is_named_once_its_heartbeat_is_stale(client, ticking, listener, settings):
    settings.LISTENER_MAX_AGE_SECONDS = 20
    record_heartbeat(name=listener, now=timezone.now() - timedelta(seconds=5))
    assert client.get("/healthz").status_code == 200

    record_heartbeat(name=listener, now=timezone.now() - timedelta(seconds=25))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == [listener]
    assert "no heartbeat for 25 s" in response.json()["checks"][listener]["detail"]


@pytest.mark.django_db(transaction=True)  # the heartbeat thread writes on its own connection
def test_a_listener_stopped_cleanly_leaves_no_heartbeat_and_is_not_a_failure(client, ticking, settings):
    from monitoring.liveness import Liveness

    settings.LISTENER_HEARTBEAT_SECONDS = 0.05
    liveness = Liveness("hl7").start()
    deadline = timezone.now() + timedelta(seconds=5)
    while not Heartbeat.objects.filter(name="hl7").exists() and timezone.now() < deadline:
        pass
    assert Heartbeat.objects.filter(name="hl7").exists(), "the running listener writes its heartbeat"
    liveness.stop()

    assert not Heartbeat.objects.filter(name="hl7").exists()
    body = client.get("/healthz").json()
    assert body["checks"]["hl7"] == {"ok": True, "detail": "not running (no heartbeat)"}


@pytest.fixture
def just_started(settings, monkeypatch):
    from monitoring import health

    settings.HEALTH_START_GRACE_SECONDS = 90
    monkeypatch.setattr(health, "STARTED", time.monotonic())
    monkeypatch.setattr(health, "STARTED_AT", timezone.now())


def test_beat_not_yet_ticked_right_after_a_start_is_starting_not_a_failure(client, just_started):
    response = client.get("/healthz")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["failed"]) == ("starting", [])
    assert body["checks"]["beat"]["detail"] == "starting: beat has not ticked yet"


def test_a_tick_from_before_the_start_is_starting_too_and_once_it_ticks_all_is_ok(client, just_started):
    record_heartbeat(name="beat", now=timezone.now() - timedelta(hours=20))
    stale = client.get("/healthz").json()
    record_heartbeat(name="beat")

    assert stale["status"] == "starting"
    assert client.get("/healthz").json()["status"] == "ok"


def test_beat_silent_after_the_grace_is_a_failure_again(client, just_started, monkeypatch):
    from monitoring import health

    monkeypatch.setattr(health, "STARTED", time.monotonic() - 91)

    assert client.get("/healthz").json()["failed"] == ["beat"]
